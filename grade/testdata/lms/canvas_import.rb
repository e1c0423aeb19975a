# Canvas's gradebook CSV import, transcribed from instructure/canvas-lms for
# grade/lms_conformance_test.go: the parsing and matching of
# app/models/gradebook_importer.rb (class GradebookImporter, the version with
# ASSIGNMENT_PRELOADED_FIELDS ending in final_grader_id), the custom column
# save of app/models/custom_gradebook_column_datum.rb and the grade upload of
# ui/features/gradebook_uploads/jquery/process_gradebook_upload.js (commit
# 0a4d8b88). The database is replaced by a course in JSON; everything that
# reads the file is kept, with Ruby's own CSV library as Canvas uses it.
# Each method names the one it transcribes. Left out: the LastName/FirstName
# header variant (a feature flag), override scores and grade statuses,
# grading periods, pass/fail translation, anonymous and moderated grading
# (none apply to a points assignment kubelab fills).
#
# usage: ruby canvas_import.rb FILE.csv COURSE.json  -> JSON on stdout
require "csv"
require "json"
require "set"

# gradebook_importer.rb: CSV::Converters[:nil] and [:decimal_comma_to_period]
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

# Assignment.title_and_id (app/models/assignment.rb)
def title_and_id(str)
  if str =~ /\A(.*)\s\((\d+)\)\z/
    [$1, $2]
  else
    [str, nil]
  end
end

class InvalidHeaderRow < StandardError; end

class Importer
  GRADEBOOK_IMPORTER_RESERVED_NAMES = [
    "Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID",
    "Section", "Integration ID", "Root Account"
  ].freeze
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

  # parse!: @all_assignments are the course's published assignments only.
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

  # csv_stream and semicolon_delimited? / identify_delimiter
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

  # check_for_non_student_row
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

  # custom_gradebook_columns: @context.custom_gradebook_columns.active
  # (custom_gradebook_column.rb: scope :active, workflow_state "active";
  # a hidden column is "hidden")
  def custom_gradebook_columns
    @course["custom_columns"].select { |c| c["workflow_state"] == "active" }
  end

  # process_custom_column_headers
  def process_custom_column_headers(row)
    row.each_with_index do |header_column, index|
      next if GRADEBOOK_IMPORTER_RESERVED_NAMES.include?(header_column)

      gradebook_column = custom_gradebook_columns.detect { |column| column["title"] == header_column }
      next if gradebook_column.nil?

      @parsed_custom_column_data[gradebook_column["id"]] = { title: header_column, index: index }
    end
  end

  # process_header
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

  # header?, last_student_info_column, row_has_student_headers?
  def header?(row)
    return false unless row.length > 3 && row[0].include?("Student") && row[1].include?("ID")

    process_custom_column_headers(row)
    update_column_count(row)
    return false unless row[@student_columns - (1 + @parsed_custom_column_data.length)].include?("Section")

    true
  end

  # update_column_count (no LastName/FirstName: that header needs a flag)
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

  # strip_non_assignment_columns, drop_student_information_columns
  def strip_non_assignment_columns(stripped_row)
    stripped_row.shift(@student_columns)
    non_assignment_regex = Regexp.new(NON_ASSIGNMENT_COLUMN_HEADERS.join("|"))
    stripped_row.grep_v(non_assignment_regex)
  end

  # parse_assignments
  def parse_assignments(stripped_row)
    stripped_row.filter_map do |name_and_id|
      title, id = title_and_id(name_and_id)
      assignment = @all_assignments[id.to_i] if id
      assignment ||= @all_assignments.values.find { |a| a["title"] == name_and_id }
      assignment ||= { "id" => negative_id, "title" => title || name_and_id, "new" => true }
      { assignment: assignment, header_name: name_and_id }
    end
  end

  # process_pp
  def process_pp(row)
    @pp_row = row
    @assignments.each do |a|
      a["points_possible"] = row[@assignment_indices[a["id"]]] if row[@assignment_indices[a["id"]]]
    end
  end

  # process_student: the ID column (Canvas's user id), then the SIS User
  # ID, then the SIS Login ID, then the name; else a new (unknown) student.
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

  # process_submissions (every assignment is assigned to every student)
  def process_submissions(row, student)
    @submissions[student["id"]] = @assignments.map do |a|
      { "grade" => row[@assignment_indices[a["id"]]]&.strip, "assignment_id" => a["id"] }
    end
    @custom[student["id"]] = @parsed_custom_column_data.to_h do |id, c|
      [id, { "new_content" => row[c[:index]], "column_id" => id }]
    end
  end

  # no_score?, no_change_to_value? (I18n.n(x, precision: 2) compared as
  # strings: a number's two-decimal rendering)
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
    return false if no_score?(current_value) || no_score?(new_value)
    return false if new_value.to_s.casecmp?("EX") || current_value.casecmp?("EX")

    n2(current_value) == n2(new_value)
  end

  # The end of parse! (original grades, weeding out unchanged assignments
  # and custom columns), then what the browser sends:
  # process_gradebook_upload.js populateGradeDataPerSubmission (grades) and
  # parseCustomColumnData, then CustomGradebookColumnDatum
  # .process_bulk_update_custom_columns (content present: save!, whose
  # validates_length_of :content, maximum: maximum_string_length (255)
  # raises; blank: destroy).
  def finish
    originals = {}
    (@course["submissions"] || []).each { |s| originals[[s["user_id"], s["assignment_id"]]] = s["score"] }
    notes = {}
    (@course["notes"] || []).each { |d| notes[[d["user_id"], d["column_id"]]] = d["content"] }
    @students.each do |st|
      @submissions[st["id"]].each { |sub| sub["original_grade"] = originals[[st["id"], sub["assignment_id"]]] }
      @custom[st["id"]].each do |cid, cell|
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
    keep = []
    @assignments.each_with_index do |a, idx|
      changed = @students.any? { |st| !no_change_to_value?(@submissions[st["id"]][idx]["grade"], @submissions[st["id"]][idx]["original_grade"]) }
      keep << idx if missing_student || changed || a["new"]
    end
    grade_data = {}
    keep.each do |idx|
      a = @assignments[idx]
      next if a["id"] <= 0 # unrecognized and ignored assignments (the JS)

      @students.each do |st|
        next if st["new"]

        sub = @submissions[st["id"]][idx]
        next if sub["original_grade"] == sub["grade"] # no change (the JS)

        (grade_data[a["id"].to_s] ||= {})[st["id"].to_s] = { "posted_grade" => sub["grade"] }
      end
    end
    column_data = []
    column_errors = []
    @parsed_custom_column_data.each_key do |cid|
      next if @students.all? { |st| @custom[st["id"]][cid]["current_content"] == @custom[st["id"]][cid]["new_content"] }

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
