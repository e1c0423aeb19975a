# Canvas's gradebook CSV import, transcribed from instructure/canvas-lms for
# grade/lms_conformance_test.go. Everything that reads the file is kept, with
# Ruby's own CSV library as Canvas uses it; the database is replaced by a
# course in JSON. Each rule below cites the file and lines it transcribes, in
# these stored versions of instructure/canvas-lms (read whole through the
# public-source file index; line numbers counted from the first byte):
#
#   GI = lib/gradebook_importer.rb                  at 00b222d77ee43d046e6aee0347c4ed5b27e1741f
#   JS = ui/features/gradebook_uploads/jquery/process_gradebook_upload.js
#                                                    at 0a4d8b88119f0fbc3bfccf010d54cff86f6e61c2
#   CD = app/models/custom_gradebook_column_datum.rb at 0a84c350b9fec1c679c942b63fc0b724ee902e79
#
# (The importer is lib/gradebook_importer.rb; no stored version of Canvas has
# an app/models/gradebook_importer.rb.) Two helpers are cited by name only,
# their files being too long to count here: Assignment.title_and_id
# (app/models/assignment.rb) and ActiveRecord::Base.maximum_string_length
# (255, Canvas's ActiveRecord extension).
#
# Left out: the LastName/FirstName header variant (a feature flag, GI
# 433-438), the Root Account column's other root accounts (GI 560-566),
# override scores and grade statuses, grading periods, pass/fail translation
# (GI 341-360), anonymous and moderated grading, read-only columns and
# assignments, concluded enrollments (GI 319-323): none apply to a points
# assignment kubelab fills. A student the file names but Canvas does not
# know is resolved on the matching page (docs/lms.md); the transcription
# takes "ignore".
#
# usage: ruby canvas_import.rb FILE.csv COURSE.json  -> JSON on stdout
require "csv"
require "json"
require "set"

# GI 104-108 CSV::Converters[:nil], GI 110-124 [:decimal_comma_to_period]:
# every field, quoted or not, goes through both (csv_stream, GI 749-762).
CSV::Converters[:nil] = lambda do |e|
  e.nil? ? e : raise
rescue
  e
end

CSV::Converters[:decimal_comma_to_period] = lambda do |field|
  if /^-?[0-9.,]+%?$/.match?(field)
    number_parts = field.split(/[,.]/)
    last_number_part = number_parts.pop
    if number_parts.empty?
      last_number_part
    else
      [number_parts.join, last_number_part].join(".")
    end
  else
    field
  end
end

# Assignment.title_and_id (app/models/assignment.rb, by name): "Title (id)".
def title_and_id(str)
  if str =~ /\A(.*)\s\((\d+)\)\z/
    [$1, $2]
  else
    [str, nil]
  end
end

class InvalidHeaderRow < StandardError; end

class Importer
  # GI 460-470
  GRADEBOOK_IMPORTER_RESERVED_NAMES = [
    "Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID",
    "Section", "Integration ID", "Root Account"
  ].freeze
  # GI 472-482
  NON_ASSIGNMENT_COLUMN_HEADERS = [
    "Current Score", "Current Points", "Current Grade", "Final Score",
    "Final Points", "Final Grade", "Override Score", "Override Grade",
    "Override Status"
  ].freeze

  def initialize(course)
    @course = course
    @next_negative = 0
  end

  def negative_id
    @next_negative -= 1
  end

  # parse! (GI 126-339): @all_assignments are the course's published
  # assignments only (GI 129-134); the rows are read by GI 165-183.
  def parse!(path)
    @all_assignments = @course["assignments"].select { |a| a["published"] }.to_h { |a| [a["id"], a] }
    @all_students = @course["students"].to_h { |s| [s["id"], s] }
    @pseudonyms_by_sis_id = {}
    @pseudonyms_by_login_id = {}
    @course["students"].each do |s|
      @pseudonyms_by_sis_id[s["sis_user_id"]] = s if s["sis_user_id"]
      @pseudonyms_by_login_id[s["login_id"]] = s if s["login_id"]
    end
    @assignments = nil
    @students = []
    @pp_row = []
    @parsed_custom_column_data = {}
    @submissions = {}
    @custom = {}
    begin
      csv_stream(path) do |row|
        already_processed = check_for_non_student_row(row)
        unless already_processed
          @students << process_student(row)
          process_submissions(row, @students.last)
        end
      end
    rescue InvalidHeaderRow
      return { "error" => "Invalid header row" }
    end
    finish
  end

  # csv_stream (GI 749-762), semicolon_delimited? (GI 714-725) and
  # identify_delimiter (GI 698-712)
  def csv_stream(path, &block)
    first_lines = []
    File.open(path) do |csv|
      first_lines << csv.readline while !csv.eof? && first_lines.size < 3
    end
    field_counts = {}
    %w[; ,].each do |separator|
      field_counts[separator] = 0
      field_count_by_row = first_lines.map { |line| CSV.parse_line(line, col_sep: separator)&.size || 0 }
      field_counts[separator] = field_count_by_row.first if field_count_by_row.uniq.size == 1
    rescue CSV::MalformedCSVError
      nil
    end
    semicolon = field_counts[";"] > field_counts[","]
    CSV.foreach(path, converters: %i[nil decimal_comma_to_period], skip_lines: /^[;, ]+$/, col_sep: semicolon ? ";" : ",", &block)
  end

  # check_for_non_student_row (GI 727-747)
  def check_for_non_student_row(row)
    if @assignments.nil?
      @assignments = process_header(row)
      return true
    end
    if row[0]&.include?("Points Possible")
      process_pp(row)
      return true
    end
    return true if row.compact.all? { |column| column =~ /^\s*(Muted|Manual Posting.*)?\s*$/i }

    false
  end

  # custom_gradebook_columns (GI 694-696): @context.custom_gradebook_columns.active
  # (custom_gradebook_column.rb: scope :active, workflow_state "active";
  # a hidden column is "hidden")
  def custom_gradebook_columns
    @course["custom_columns"].select { |c| c["workflow_state"] == "active" }
  end

  # process_custom_column_headers (GI 362-375)
  def process_custom_column_headers(row)
    row.each_with_index do |header_column, index|
      next if GRADEBOOK_IMPORTER_RESERVED_NAMES.include?(header_column)

      gradebook_column = custom_gradebook_columns.detect { |column| column["title"] == header_column }
      next if gradebook_column.nil?

      @parsed_custom_column_data[gradebook_column["id"]] = { title: header_column, index: index }
    end
  end

  # process_header (GI 384-399), strip_custom_columns (GI 377-382),
  # calc_assignment_indices (GI 401-407)
  def process_header(row)
    original_header_row = row.dup
    raise InvalidHeaderRow unless header?(row)

    row = strip_non_assignment_columns(row)
    @parsed_custom_column_data.each_value { |column| row.delete(column[:title]) } # strip_custom_columns
    assignments_and_headers = parse_assignments(row)
    @assignment_indices = assignments_and_headers.to_h do |a|
      [a[:assignment]["id"], original_header_row.index(a[:header_name])]
    end
    assignments_and_headers.map { |a| a[:assignment] }
  end

  # header? (GI 409-420), last_student_info_column (GI 422-425: "Custom
  # Columns are between section and assignments"), row_has_student_headers?
  # (GI 427-430)
  def header?(row)
    return false unless row.length > 3 && row[0].include?("Student") && row[1].include?("ID")

    process_custom_column_headers(row)
    update_column_count(row)
    return false unless row[@student_columns - (1 + @parsed_custom_column_data.length)].include?("Section")

    true
  end

  # update_column_count (GI 432-458; no LastName/FirstName: that header
  # needs a flag)
  def update_column_count(row)
    @student_columns = student_name_column_count = 3
    if /SIS\s+Login\s+ID/.match?(row[student_name_column_count - 1])
      @sis_login_id_column = student_name_column_count - 1
      @student_columns += 1
    elsif row[student_name_column_count - 1] =~ /SIS\s+User\s+ID/ && row[student_name_column_count] =~ /SIS\s+Login\s+ID/
      i = /Integration\s+ID/.match?(row[student_name_column_count + 1]) ? 1 : 0
      @sis_user_id_column = student_name_column_count - 1
      @sis_login_id_column = student_name_column_count
      @student_columns += 2 + i
      @student_columns += 1 if /Root\s+Account/.match?(row[student_name_column_count + 1 + i])
    end
    @student_columns += @parsed_custom_column_data.length
  end

  # strip_non_assignment_columns (GI 484-491), drop_student_information_columns
  # (GI 493-495)
  def strip_non_assignment_columns(stripped_row)
    stripped_row.shift(@student_columns)
    non_assignment_regex = Regexp.new(NON_ASSIGNMENT_COLUMN_HEADERS.join("|"))
    stripped_row.grep_v(non_assignment_regex)
  end

  # parse_assignments (GI 498-513)
  def parse_assignments(stripped_row)
    stripped_row.filter_map do |name_and_id|
      title, id = title_and_id(name_and_id)
      assignment = @all_assignments[id.to_i] if id
      assignment ||= @all_assignments.values.find { |a| a["title"] == name_and_id }
      assignment ||= { "id" => negative_id, "title" => title || name_and_id, "new" => true }
      { assignment: assignment, header_name: name_and_id }
    end
  end

  # process_pp (GI 549-554)
  def process_pp(row)
    @pp_row = row
    @assignments.each do |a|
      v = row[@assignment_indices[a["id"]]]
      next unless v

      # Assignment#points_possible= on a record: ActiveRecord marks it
      # changed when the float differs (nil before is a change).
      was = a["points_possible"]
      a["points_possible_changed"] = true if was.nil? || Float(was) != (Float(v) rescue v)
      a["points_possible"] = v
    end
  end

  # process_student (GI 556-590): the ID column (Canvas's user id), then
  # the SIS User ID, then the SIS Login ID, then the name; else a new
  # (unknown) student.
  def process_student(row)
    student_id = row[1]
    student = @all_students[student_id.to_i] if student_id && !student_id.to_s.strip.empty?
    unless student
      sis_user_id = row[@sis_user_id_column] if @sis_user_id_column && present?(row[@sis_user_id_column])
      sis_login_id = row[@sis_login_id_column] if @sis_login_id_column && present?(row[@sis_login_id_column])
      student = @pseudonyms_by_sis_id[sis_user_id] if sis_user_id
      student ||= @pseudonyms_by_login_id[sis_login_id] if sis_login_id
      unless student
        name = row[0]
        student = @all_students.values.find { |s| s["name"] == name || s["sortable_name"] == name }
        student ||= { "id" => negative_id, "name" => name, "new" => true }
      end
    end
    student
  end

  def present?(v)
    !v.nil? && !v.to_s.strip.empty?
  end

  # process_submissions (GI 592-642; every assignment is assigned to every
  # student)
  def process_submissions(row, student)
    @submissions[student["id"]] = @assignments.map do |a|
      { "grade" => row[@assignment_indices[a["id"]]]&.strip, "assignment_id" => a["id"] }
    end
    @custom[student["id"]] = @parsed_custom_column_data.to_h do |id, c|
      [id, { "new_content" => row[c[:index]], "column_id" => id }]
    end
  end

  # no_score? (GI 855-857), no_change_to_value? (GI 859-873) with
  # consider_excused as no_change_to_submission? (GI 875-877) passes it:
  # I18n.n(x, precision: 2) compared as strings, a number's two-decimal
  # rendering.
  def no_score?(value)
    value.nil? || value.to_s.strip.empty? || value == "-"
  end

  def n2(v)
    format("%.2f", Float(v))
  rescue ArgumentError, TypeError
    v.to_s
  end

  def no_change_to_value?(new_value, current_value)
    return true if new_value == current_value
    return true if no_score?(current_value) && no_score?(new_value)
    return false unless present?(current_value) && present?(new_value)
    return false if new_value.to_s.casecmp?("EX") || current_value.casecmp?("EX")

    n2(current_value) == n2(new_value)
  end

  # The end of parse! (GI 223-256: original grades and current notes;
  # GI 260-317: unless a student is unknown, weed out assignments and
  # custom columns with no change), then what the browser sends: upload
  # (JS 45-96) sends the custom columns when any are left (JS 56-62), by
  # uploadCustomColumnData and parseCustomColumnData (JS 98-125), and the
  # grades by populateGradeDataPerSubmission (JS 250-266); then
  # CustomGradebookColumnDatum.process_bulk_update_custom_columns (CD 41-63:
  # content present, save!, whose validates_length_of :content, maximum:
  # maximum_string_length (CD 22-23; 255) raises; blank, destroy!).
  def finish
    originals = {}
    (@course["submissions"] || []).each { |s| originals[[s["user_id"], s["assignment_id"]]] = s["score"] }
    notes = {}
    (@course["notes"] || []).each { |d| notes[[d["user_id"], d["column_id"]]] = d["content"] }
    @students.each do |st|
      @submissions[st["id"]].each { |sub| sub["original_grade"] = originals[[st["id"], sub["assignment_id"]]] }
      @custom[st["id"]].each do |cid, cell| # GI 246-255
        cur = notes[[st["id"], cid]]
        if !present?(cell["new_content"]) && !present?(cur)
          cell["current_content"] = nil
          cell["new_content"] = nil
        else
          cell["current_content"] = cur
        end
      end
    end
    missing_student = @students.any? { |s| s["new"] }
    keep = (0...@assignments.length).to_a
    columns = @parsed_custom_column_data.keys
    unless missing_student # GI 260
      keep = keep.select do |idx| # GI 263-277
        a = @assignments[idx]
        # GI 264: a new assignment, or one whose Points Possible the file
        # changes (process_pp), is dirty and kept.
        next true if a["new"] || a["points_possible_changed"]

        @students.any? { |st| !no_change_to_value?(@submissions[st["id"]][idx]["grade"], @submissions[st["id"]][idx]["original_grade"]) }
      end
      # GI 279-291, no_change_to_column_values? (GI 843-849)
      columns = columns.reject { |cid| @students.all? { |st| @custom[st["id"]][cid]["current_content"] == @custom[st["id"]][cid]["new_content"] } }
    end
    grade_data = {}
    keep.each do |idx|
      a = @assignments[idx]
      next if a["id"] <= 0 # JS 253: unrecognized and ignored assignments

      @students.each do |st|
        next if st["new"]

        sub = @submissions[st["id"]][idx]
        next if sub["original_grade"] == sub["grade"] # JS 254: no change

        (grade_data[a["id"].to_s] ||= {})[st["id"].to_s] = { "posted_grade" => sub["grade"] } # JS 262-264
      end
    end
    column_data = []
    column_errors = []
    columns.each do |cid|
      @students.each do |st|
        next if st["new"]

        content = @custom[st["id"]][cid]["new_content"]
        column_data << { "column_id" => cid, "user_id" => st["id"], "content" => content }
        if present?(content) && content.length > 255
          column_errors << "user #{st['id']}: Content is too long (maximum is 255 characters), #{content.length}"
        end
      end
    end
    {
      "error" => nil,
      "assignments" => @assignments.map { |a| { "id" => a["id"], "title" => a["title"], "new" => !!a["new"] } },
      "custom_columns" => @parsed_custom_column_data.keys,
      "students" => @students.map { |s| { "id" => s["id"], "name" => s["name"], "new" => !!s["new"] } },
      "grade_data" => grade_data,
      "column_data" => column_data,
      "column_errors" => column_errors
    }
  end
end

course = JSON.parse(File.read(ARGV[1]))
puts JSON.generate(Importer.new(course).parse!(ARGV[0]))
