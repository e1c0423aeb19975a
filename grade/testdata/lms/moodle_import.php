<?php
// Moodle's CSV grade import, transcribed from moodle/moodle for
// grade/lms_conformance_test.go: how csv_import_reader reads the file and
// how gradeimport_csv_load_data matches users and takes grades. The database
// is replaced by users in JSON; every read of the file is PHP's own fgetcsv
// with the arguments Moodle passes. Each rule cites the file and lines it
// transcribes, at moodle/moodle commit
// 6374475dc3cf3a94e22ec18c4655b89819a1b5d6 ("weekly release 4.4dev",
// 2023-11-24; read with git from a mirror that carries moodle/moodle's
// history):
//
//   CSV = lib/csvlib.class.php
//   LD  = grade/import/csv/classes/load_data.php
//   ML  = lib/moodlelib.php
//
// Left out: scales, locked grades and grade items, groups, the "last
// downloaded" column, new grade items (LD 443-610 around what is kept).
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

// csv_import_reader::load_csv_content (CSV 92-188), for UTF-8 and 'comma':
// the BOM (CSV 100), newlines (CSV 102), trim (CSV 108), fgetcsv rows
// (CSV 129-139).
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
if (!isset($columns[0])) { // CSV 142-150
    out(array('error' => 'csvemptyfile'));
}
$col_count = count($columns[0]);
foreach ($columns as $rowdata) { // CSV 164-173
    if (count($rowdata) !== $col_count) {
        out(array('error' => 'csvweirdcolumns'));
    }
}
// The rows are stored with csv_export_writer::print_array($columns, ',', '"',
// true) (CSV 176-180; print_array CSV 553-562 writes each row with add_data,
// fputcsv, CSV 442-453) and read back by init() (CSV 223-238) and next()
// (CSV 245-254) with fgetcsv($fp).
$store = fopen('php://temp', 'w+b');
foreach ($columns as $row) {
    fputcsv($store, $row, ',', '"');
}
fseek($store, 0);
$header = fgetcsv($store); // init(): skip header

// check_user_exists (LD 221-264): email and username case-insensitively
// ($DB->sql_equal with $casesensitive false, LD 230-241), the ID number
// exactly; get_record_select with MUST_EXIST (LD 248-253): none is
// usermappingerror, more than one usermappingerrormultipleusersfound. A
// blank value is looked up like any other: it matches the users whose field
// is blank.
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

// unformat_float($value, true) (ML 8980-8995), for a site whose decimal
// separator is '.': spaces removed, then is_numeric.
function unformat_float($localefloat) {
    $localefloat = trim((string)$localefloat);
    if ($localefloat == '') {
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
$gradepointmaximum = !empty($setup['unlimitedgrades']) ? $setup['gradepointmax'] : 100; // LD 161-166
$studentid = null; // LD 451: set once, before the loop, not reset per row
$grades = array();
$feedbacks = array();
// prepare_import_grade_data (LD 443-610): the loop LD 492-608.
while (!feof($store) && ($line = fgetcsv($store))) {
    if (count($line) <= 1) { // LD 493-496
        continue;
    }
    $newgrades = array();
    $newfeedbacks = array();
    foreach ($line as $key => $value) {
        $value = trim($value); // LD 505-506; clean_param($value, PARAM_RAW) changes nothing
        if ($key === $setup['mapfrom']) {
            // map_user_data_with_value (LD 378-429), LD 402-407: every
            // value, a blank one too, since MDL-52052 (2020) removed the
            // skip of a blank user field.
            list($studentid, $err) = check_user_exists($value, $field, $setup['users']);
            if ($err !== null) {
                out(array('error' => $err)); // LD 528-530: the import is cancelled
            }
        } else if ($key === $setup['grade']) {
            // update_grade_item (LD 301-353), LD 336-349
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
    if (empty($studentid) || !is_numeric($studentid)) { // LD 533-538
        out(array('error' => 'usermappingerrorusernotfound'));
    }
    foreach ($newgrades as $g) {
        // insert_grade_record (LD 156-175)
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
