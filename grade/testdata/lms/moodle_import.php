<?php
// Moodle's CSV grade import, transcribed from moodle/moodle for
// grade/lms_conformance_test.go: how lib/csvlib.class.php
// (csv_import_reader::load_csv_content, init, next) reads the file, and how
// grade/import/csv/classes/load_data.php (prepare_import_grade_data,
// map_user_data_with_value, check_user_exists, update_grade_item,
// insert_grade_record) matches users and takes grades. The database is
// replaced by users in JSON; every read of the file is PHP's own fgetcsv
// with the arguments Moodle passes. Left out: scales, locked grades, groups,
// the "last downloaded" column, new grade items.
//
// usage: php moodle_import.php FILE.csv SETUP.json  -> JSON on stdout
// SETUP: {"users": [{"id", "email", "username", "idnumber"}],
//         "mapfrom": column index, "mapto": "useremail"|"username"|"useridnumber",
//         "grade": column index, "feedback": column index or null,
//         "unlimitedgrades": bool, "gradepointmax": number}
error_reporting(E_ALL & ~E_DEPRECATED);

$setup = json_decode(file_get_contents($argv[2]), true);
$content = file_get_contents($argv[1]);

function out($v) { echo json_encode($v, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n"; exit(0); }

// csv_import_reader::load_csv_content($content, $encoding, $delimiter_name,
// $column_validation = null, $enclosure = '"'), for UTF-8 and 'comma'.
$content = preg_replace('/^\xEF\xBB\xBF/', '', $content); // core_text::trim_utf8_bom
$content = preg_replace('!\r\n?!', "\n", $content);
$content = trim($content);
$csv_delimiter = ',';
$enclosure = '"';
$fp = fopen('php://temp', 'w+b');
fwrite($fp, $content);
fseek($fp, 0);
$columns = array();
while ($fgetdata = fgetcsv($fp, 0, $csv_delimiter, $enclosure)) {
    if (count($fgetdata) == 1) {
        if ($fgetdata[0] !== null) {
            $columns[] = $fgetdata;
        }
    } else {
        $columns[] = $fgetdata;
    }
}
if (!isset($columns[0])) {
    out(array('error' => 'csvemptyfile'));
}
$col_count = count($columns[0]);
foreach ($columns as $rowdata) {
    if (count($rowdata) !== $col_count) {
        out(array('error' => 'csvweirdcolumns'));
    }
}
// The rows are stored with csv_export_writer::print_array($columns, ',', '"',
// true) (fputcsv) and read back by init() and next() with fgetcsv($fp).
$store = fopen('php://temp', 'w+b');
foreach ($columns as $row) {
    fputcsv($store, $row, ',', '"');
}
fseek($store, 0);
$header = fgetcsv($store); // init(): skip header

// check_user_exists: email and username case-insensitively ($DB->sql_equal
// with $casesensitive false), the ID number exactly; MUST_EXIST: none is
// usermappingerror, more than one usermappingerrormultipleusersfound.
function check_user_exists($value, $field, $users) {
    $found = array();
    foreach ($users as $u) {
        $v = isset($u[$field]) ? (string)$u[$field] : '';
        $match = in_array($field, array('email', 'username')) ? (strtolower($v) === strtolower($value)) : ($v === $value);
        if ($match) {
            $found[] = $u;
        }
    }
    if (count($found) == 0) {
        return array(null, "usermappingerror: $field \"$value\"");
    }
    if (count($found) > 1) {
        return array(null, "usermappingerrormultipleusersfound: $field \"$value\"");
    }
    return array($found[0]['id'], null);
}

// unformat_float($value, true) (lib/moodlelib.php), for a site whose
// decimal separator is '.': spaces removed, then is_numeric.
function unformat_float($localefloat) {
    $localefloat = trim((string)$localefloat);
    if ($localefloat === '') {
        return null;
    }
    $localefloat = str_replace(' ', '', $localefloat);
    if (!is_numeric($localefloat)) {
        return false;
    }
    return (float)$localefloat;
}

$fields = array('useremail' => 'email', 'username' => 'username', 'useridnumber' => 'idnumber');
$field = $fields[$setup['mapto']];
$gradepointmaximum = !empty($setup['unlimitedgrades']) ? $setup['gradepointmax'] : 100;
$studentid = null; // set once, before the loop: not reset per row
$grades = array();
$feedbacks = array();
while (!feof($store) && ($line = fgetcsv($store))) {
    if (count($line) <= 1) {
        continue;
    }
    $newgrades = array();
    $newfeedbacks = array();
    foreach ($line as $key => $value) {
        $value = trim($value); // clean_param($value, PARAM_RAW) changes nothing here
        if ($key === $setup['mapfrom']) {
            // Skip invalid row with blank user field.
            if (!empty($value)) {
                list($studentid, $err) = check_user_exists($value, $field, $setup['users']);
                if ($err !== null) {
                    out(array('error' => $err));
                }
            }
        } else if ($key === $setup['grade']) {
            if ($value === '' or $value == '-') {
                $value = null; // No grade.
            } else {
                $validvalue = unformat_float($value);
                if ($validvalue === false) {
                    out(array('error' => 'badgrade: "' . $value . '"'));
                }
                $value = $validvalue;
            }
            $newgrades[] = $value;
        } else if ($setup['feedback'] !== null && $key === $setup['feedback']) {
            $newfeedbacks[] = $value;
        }
    }
    if (empty($studentid) || !is_numeric($studentid)) {
        out(array('error' => 'usermappingerrorusernotfound'));
    }
    foreach ($newgrades as $g) {
        // insert_grade_record
        if ($g !== null && $g > $gradepointmaximum) {
            out(array('error' => "gradevaluetoobig: $gradepointmaximum"));
        }
        $grades[] = array('user' => $studentid, 'finalgrade' => $g);
    }
    foreach ($newfeedbacks as $f) {
        $feedbacks[] = array('user' => $studentid, 'feedback' => $f);
    }
}
out(array('error' => null, 'header' => $columns[0], 'grades' => $grades, 'feedback' => $feedbacks));
