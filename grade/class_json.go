package grade

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/kubelab/kubelab/report"
)

// class.json: written and read as a stream, one student entry at a time.

// WriteJSON writes results.json: the summary and every report. It is
// written a student at a time (each full report read from its file when
// the class was built from an output directory), through a buffer: the
// same bytes as encoding the whole class at once, without holding it.
func (c *Class) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	head, err := json.MarshalIndent(struct {
		Schema  string      `json:"schema"`
		Tool    report.Tool `json:"tool"`
		Lab     report.Lab  `json:"lab"`
		Summary Summary     `json:"summary"`
	}{c.Schema, c.Tool, c.Lab, c.Summary}, "", "  ")
	if err != nil {
		return err
	}
	bw.Write(bytes.TrimSuffix(head, []byte("\n}")))
	if c.Students == nil {
		bw.WriteString(",\n  \"students\": null\n}\n")
		return bw.Flush()
	}
	bw.WriteString(",\n  \"students\": [")
	// Each entry is encoded with a null report, and the report's own JSON
	// (indented by report.JSON, as its file is) takes the null's place,
	// each of its lines indented three levels deeper: the bytes encoding
	// the whole class would give, without decoding or encoding a report.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("    ", "  ")
	null := []byte("null\n    }\n")
	for i, e := range c.Students {
		var raw []byte
		var err error
		if e.file != "" {
			// The file was read and validated when the class was built
			// (or written by this run).
			raw, err = os.ReadFile(e.file)
		} else if e.Report != nil {
			raw, err = report.JSON(e.Report)
		}
		if err != nil {
			return fmt.Errorf("student %s: %w", e.ID, err)
		}
		buf.Reset()
		e.Report = nil
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("student %s: %w", e.ID, err)
		}
		entry := buf.Bytes()
		if !bytes.HasSuffix(entry, null) {
			return fmt.Errorf("student %s: unexpected entry encoding", e.ID)
		}
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n    ")
		bw.Write(entry[:len(entry)-len(null)])
		if raw == nil {
			bw.WriteString("null")
		} else {
			raw = bytes.TrimSuffix(raw, []byte("\n"))
			for {
				i := bytes.IndexByte(raw, '\n')
				if i < 0 {
					bw.Write(raw)
					break
				}
				bw.Write(raw[:i])
				bw.WriteString("\n      ")
				raw = raw[i+1:]
			}
		}
		bw.WriteString("\n    }")
	}
	if len(c.Students) == 0 {
		bw.WriteString("]\n}\n")
	} else {
		bw.WriteString("\n  ]\n}\n")
	}
	return bw.Flush()
}

// ScanClass reads a results.json a student at a time: head is called with
// the class's schema, tool, lab and summary (no students) before the first
// student, each with every student in turn. Memory does not grow with the
// class.
func ScanClass(r io.Reader, head func(*Class) error, each func(StudentEntry) error) error {
	return scanClass(r, head, func(dec *json.Decoder) error {
		var e StudentEntry
		if err := dec.Decode(&e); err != nil {
			return badInput("not a kubelab results.json: %w", err)
		}
		if e.Report == nil {
			return badInput("results.json: student %s has no report", e.ID)
		}
		e.hasLateRe = hasLateCheck(e.Report)
		return each(e)
	})
}

// scanClass is ScanClass with each student's decoding left to entry.
func scanClass(r io.Reader, head func(*Class) error, entry func(*json.Decoder) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 256<<10))
	bad := func(err error) error { return badInput("not a kubelab results.json: %w", err) }
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		if err == nil {
			err = errors.New("not a JSON object")
		}
		return bad(err)
	}
	c := &Class{}
	headDone := false
	startStudents := func() error {
		if headDone {
			return nil
		}
		headDone = true
		if !slices.Contains(readableClassSchemas, c.Schema) {
			return badInput("not a kubelab results.json (schema %q, want %q)", c.Schema, ClassSchema)
		}
		if head != nil {
			return head(c)
		}
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		key, _ := t.(string)
		var v any
		switch key {
		case "schema":
			v = &c.Schema
		case "tool":
			v = &c.Tool
		case "lab":
			v = &c.Lab
		case "summary":
			v = &c.Summary
		case "students":
			if err := startStudents(); err != nil {
				return err
			}
			t, err := dec.Token()
			if err != nil {
				return bad(err)
			}
			if t == nil {
				continue
			}
			if t != json.Delim('[') {
				return bad(errors.New("students is not a list"))
			}
			for dec.More() {
				if err := entry(dec); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return bad(err)
			}
			continue
		default:
			var skip json.RawMessage
			v = &skip
		}
		if err := dec.Decode(v); err != nil {
			return bad(err)
		}
	}
	return startStudents()
}

func hasLateCheck(r *report.Report) bool {
	_, ok := LatenessOf(r)
	return ok
}

// ReadClass reads a results.json.
func ReadClass(data []byte) (*Class, error) {
	var c Class
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, badInput("not a kubelab results.json: %w", err)
	}
	if !slices.Contains(readableClassSchemas, c.Schema) {
		return nil, badInput("not a kubelab results.json (schema %q, want %q)", c.Schema, ClassSchema)
	}
	for i, e := range c.Students {
		if e.Report == nil {
			return nil, badInput("results.json: student %s has no report", e.ID)
		}
		c.Students[i].hasLateRe = hasLateCheck(e.Report)
	}
	return &c, nil
}

// Reports returns the class's reports, sorted by student id.
func (c *Class) Reports() []*report.Report {
	out := make([]*report.Report, len(c.Students))
	for i, e := range c.Students {
		out[i] = e.Report
	}
	return out
}
