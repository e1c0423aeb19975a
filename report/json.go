package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// JSON returns the report as indented JSON. The same report gives the same
// bytes: struct fields have a fixed order, maps (counts) are sorted by
// encoding/json, evidence is an ordered list, and empty step and check lists
// are written as [] rather than null.
func JSON(r *Report) ([]byte, error) {
	c := *r
	if c.Steps == nil {
		c.Steps = []Step{}
	}
	if c.Checks == nil {
		c.Checks = []Result{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(true)
	if err := enc.Encode(&c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteJSON writes the report as JSON.
func WriteJSON(w io.Writer, r *Report) error {
	b, err := JSON(r)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Read parses a saved JSON report: it checks the schema version, then the
// whole document against SchemaJSON (so a hand-edited file with an unknown
// status or member is refused), then decodes it.
func Read(data []byte) (*Report, error) {
	var probe struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a kubelab JSON report: %w", err)
	}
	if probe.Schema == "" {
		return nil, fmt.Errorf("not a kubelab JSON report: no \"schema\" field")
	}
	if probe.Schema != Schema {
		if strings.HasPrefix(probe.Schema, "kubelab.report/") {
			return nil, fmt.Errorf("report schema %q is not supported by this kubelab (it reads %q); use the kubelab version that wrote it, or a newer one", probe.Schema, Schema)
		}
		return nil, fmt.Errorf("not a kubelab JSON report: schema %q", probe.Schema)
	}
	if err := Validate(data); err != nil {
		return nil, fmt.Errorf("not a valid kubelab report: %w", err)
	}
	var r Report
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("reading report: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("reading report: data after the report's closing brace")
	}
	return &r, nil
}

// ReadFile reads a saved JSON report.
func ReadFile(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Read(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
