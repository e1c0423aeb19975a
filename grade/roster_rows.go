package grade

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kubelab/kubelab/snapshot"
)

// rows reads the students' lines of a roster against its header, one at a
// time, remembering the ids and shared-cluster namespaces already taken.
type rows struct {
	p         *rosterParser
	header    record
	cols      map[string]int
	extraCols map[int]string
	sep       rune
	seenID    map[string]int    // lower-cased student id -> its line
	seenNS    map[string]string // namespace on the shared cluster -> student id
}

// get is the field of rec in column col; when the line is too short, false
// and the position just past its last field.
func (r *rows) get(rec record, col string) (field, bool) {
	i, ok := r.cols[col]
	if !ok || i >= len(rec.fields) {
		return field{line: rec.endLine, col: rec.endCo}, false
	}
	return rec.fields[i], true
}

// student reads one line into a Student and checks it; false (with every
// problem of the line added) when it is not a student to grade.
func (r *rows) student(rec record) (Student, bool) {
	if rec.broken {
		return Student{}, false
	}
	if len(rec.fields) > len(r.header.fields) {
		f := rec.fields[len(r.header.fields)]
		r.p.add(f.line, f.col, "%d fields, but the header names %d columns (a %q inside a name must be quoted)", len(rec.fields), len(r.header.fields), string(r.sep))
		return Student{}, false
	}
	s, nsF, kcF, ok := r.fields(rec)
	ok = r.checkID(rec, &s) && ok
	ok = r.checkImage(rec, &s) && ok
	if s.Namespace != "" {
		if msg := checkNamespace(s.Namespace); msg != "" {
			r.p.add(nsF.line, nsF.col, "namespace %q: %s", s.Namespace, msg)
			ok = false
		}
	}
	ok = r.resolveKubeconfig(&s, kcF) && ok
	if ok && !s.Own() {
		ok = r.claimNamespace(rec, &s, nsF)
	}
	return s, ok
}

// fields reads the line's columns: the required ones (each missing one a
// problem), the optional ones and the extra ones. nsF and kcF are where
// the namespace and kubeconfig fields are, for later problems.
func (r *rows) fields(rec record) (s Student, nsF, kcF field, ok bool) {
	s, ok = Student{Line: rec.line}, true
	for _, col := range RequiredColumns {
		f, present := r.get(rec, col)
		v := strings.TrimSpace(f.val)
		if !present {
			r.p.add(f.line, f.col, "missing field %s: the line has %d fields, the header %d", col, len(rec.fields), len(r.header.fields))
			ok = false
			continue
		}
		if v == "" {
			r.p.add(f.line, f.col, "missing %s", col)
			ok = false
			continue
		}
		switch col {
		case ColStudentID:
			s.ID = v
		case ColName:
			s.Name = v
		case ColImage:
			s.Image = v
		}
	}
	opt := func(col string) (string, field) {
		f, present := r.get(rec, col)
		if !present {
			return "", f
		}
		return strings.TrimSpace(f.val), f
	}
	s.Namespace, nsF = opt(ColNamespace)
	s.Context, _ = opt(ColContext)
	s.Kubeconfig, kcF = opt(ColKubeconfig)
	s.Deployment, _ = opt(ColDeployment)
	s.Email, _ = opt(ColEmail)
	s.SISID, _ = opt(ColSISID)
	s.Section, _ = opt(ColSection)
	var langF field
	s.Lang, langF = opt(ColLang)
	if s.Lang != "" {
		s.Lang = strings.ToLower(s.Lang)
		if !slices.Contains(Langs, s.Lang) {
			r.p.add(langF.line, langF.col, "lang %q: use %s (or leave it empty for --lang)", s.Lang, strings.Join(Langs, " or "))
			ok = false
		}
	}
	for i, f := range rec.fields {
		if name, isExtra := r.extraCols[i]; isExtra {
			s.Extra = append(s.Extra, Column{Name: name, Value: strings.TrimSpace(f.val)})
		}
	}
	return s, nsF, kcF, ok
}

// checkID refuses an id that is not one (checkID) or that an earlier line
// has (ids compared without case).
func (r *rows) checkID(rec record, s *Student) bool {
	if s.ID == "" {
		return true
	}
	f, _ := r.get(rec, ColStudentID)
	if msg := checkID(s.ID); msg != "" {
		r.p.add(f.line, f.col, "%s", msg)
		return false
	}
	if first, dup := r.seenID[strings.ToLower(s.ID)]; dup {
		r.p.add(f.line, f.col, "duplicate student id %q (first on line %d)", s.ID, first)
		return false
	}
	r.seenID[strings.ToLower(s.ID)] = rec.line
	return true
}

// checkImage refuses an image reference that is not one, saying why in
// the words a lecturer fixing a spreadsheet needs (a space, capitals).
func (r *rows) checkImage(rec record, s *Student) bool {
	if s.Image == "" {
		return true
	}
	_, _, err := snapshot.NormalizeImage(s.Image)
	if err == nil && !strings.ContainsAny(s.Image, " \t") {
		return true
	}
	f, _ := r.get(rec, ColImage)
	msg := fmt.Sprintf("invalid image reference %q: it contains a space", s.Image)
	if err != nil {
		msg = err.Error()
		repo := s.Image
		if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
			repo = repo[:i]
		}
		if repo != strings.ToLower(repo) {
			msg = fmt.Sprintf("invalid image reference %q: repository names must be lowercase", s.Image)
		}
	}
	r.p.add(f.line, f.col, "%s", msg)
	return false
}

// resolveKubeconfig makes a kubeconfig path relative to the roster's
// directory and refuses one that does not exist.
func (r *rows) resolveKubeconfig(s *Student, kcF field) bool {
	if s.Kubeconfig == "" {
		return true
	}
	path := s.Kubeconfig
	if !filepath.IsAbs(path) && r.p.opt.File != "" {
		path = filepath.Join(filepath.Dir(r.p.opt.File), path)
	}
	if err := r.p.opt.Stat(path); err != nil {
		r.p.add(kcF.line, kcF.col, "kubeconfig file %q not found", s.Kubeconfig)
		return false
	}
	s.Kubeconfig = path
	return true
}

// claimNamespace gives a student of the shared cluster their namespace
// (the roster's, else one made from the prefix and id) and refuses one
// another student already has.
func (r *rows) claimNamespace(rec record, s *Student, nsF field) bool {
	ok := true
	ns := s.Namespace
	if ns == "" {
		ns = DefaultNamespace(r.p.opt.NamespacePrefix, s.ID)
		if msg := checkNamespace(ns); msg != "" {
			f, _ := r.get(rec, ColStudentID)
			r.p.add(f.line, f.col, "namespace %q (prefix and student id): %s", ns, msg)
			ok = false
		}
	}
	if other, dup := r.seenNS[ns]; dup {
		f := nsF
		if s.Namespace == "" {
			f, _ = r.get(rec, ColStudentID)
		}
		r.p.add(f.line, f.col, "namespace %q is also student %s's: each student of a shared cluster needs a namespace of their own (add a namespace column)", ns, other)
		ok = false
	} else {
		r.seenNS[ns] = s.ID
	}
	s.Namespace = ns
	return ok
}
