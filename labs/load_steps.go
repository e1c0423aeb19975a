package labs

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// steps reads the lab's steps into lab.Steps (and their Markdown into
// lab.Markdown), and returns where each check is used: check id -> the
// step's field path.
func (v *validator) steps(fsys fs.FS, dir string, stepsNode *yaml.Node, lab *Lab, cat Catalog) map[string]string {
	stepIDs := map[string]int{}
	checkAt := map[string]string{}
	for i, sn := range stepsNode.Content {
		f := fmt.Sprintf("steps[%d]", i)
		if sn.Kind != yaml.MappingNode {
			v.add(sn.Line, f, "must be a mapping with id, title, file and checks")
			continue
		}
		v.fields(sn, f, []string{"id", "title", "file", "checks", "solution"})
		st := &Step{line: sn.Line}
		st.ID = v.str(sn, f, "id", true)
		if st.ID != "" {
			if !idPattern.MatchString(st.ID) {
				v.add(keyLine(sn, "id"), f+".id", "must be lower-case letters, digits, '-' and '.'")
			}
			if prev, dup := stepIDs[st.ID]; dup {
				v.add(keyLine(sn, "id"), f+".id", fmt.Sprintf("duplicate step id %q (first used on line %d)", st.ID, prev))
			}
			stepIDs[st.ID] = keyLine(sn, "id")
			f = fmt.Sprintf("steps[%d](%s)", i, st.ID)
		}
		st.Title = v.text(sn, f, "title", lab.Languages, true)
		st.File = v.text(sn, f, "file", lab.Languages, true)
		for _, lang := range sortedKeys(st.File) {
			p := st.File[lang]
			if p == "" {
				continue
			}
			if path.IsAbs(p) || strings.Contains(p, "..") {
				v.add(valueLine(sn, "file"), f+".file."+lang, fmt.Sprintf("%q must be a relative path inside the lab directory", p))
				continue
			}
			md, err := fs.ReadFile(fsys, path.Join(dir, p))
			if err != nil {
				v.add(valueLine(sn, "file"), f+".file."+lang, fmt.Sprintf("markdown file %q not found", p))
				continue
			}
			if lab.Markdown[st.ID] == nil {
				lab.Markdown[st.ID] = Text{}
			}
			lab.Markdown[st.ID][lang] = string(md)
		}
		if cn := get(sn, "checks"); cn != nil {
			if cn.Kind != yaml.SequenceNode {
				v.add(cn.Line, f+".checks", "must be a list")
			} else {
				for j, c := range cn.Content {
					if ref := v.check(c, fmt.Sprintf("%s.checks[%d]", f, j), lab.Languages, cat); ref != nil {
						if prev, dup := checkAt[ref.ID]; dup {
							v.add(c.Line, fmt.Sprintf("%s.checks[%d].id", f, j), fmt.Sprintf("check %q is already used in %s; a check may appear once per lab", ref.ID, prev))
						} else {
							checkAt[ref.ID] = f
						}
						st.Checks = append(st.Checks, ref)
					}
				}
			}
		}
		if n := get(sn, "solution"); n != nil {
			st.Solution = v.solution(n, f+".solution")
		}
		lab.Steps = append(lab.Steps, st)
	}
	return checkAt
}

// needs checks that each check's needs name checks of this lab that come
// earlier or in the same step.
func (v *validator) needs(lab *Lab, checkAt map[string]string) {
	seen := map[string]bool{}
	for i, st := range lab.Steps {
		for j, c := range st.Checks {
			for _, n := range c.Needs {
				if _, ok := checkAt[n]; !ok {
					v.add(c.line, fmt.Sprintf("steps[%d](%s).checks[%d](%s).needs", i, st.ID, j, c.ID), fmt.Sprintf("needs %q, which is not a check of this lab", n))
				} else if !seen[n] {
					v.add(c.line, fmt.Sprintf("steps[%d](%s).checks[%d](%s).needs", i, st.ID, j, c.ID), fmt.Sprintf("needs %q, which comes later; a check can only need checks before it", n))
				}
			}
			seen[c.ID] = true
		}
	}
}
