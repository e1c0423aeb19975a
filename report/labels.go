package report

// Labels are the fixed words of a rendered report, per language.
type Labels struct {
	Title, Student, Lab, Target, Image, Digest, Cluster, Namespace, Context,
	Deployment, Service, Date, Score, Passed, NotPassed, Step, Check, Status,
	Points, Message, Hint, Hints, Evidence, Total, Required, Lesson, Duration string
	StatusName map[Status]string
}

var labels = map[string]Labels{
	"en": {
		Title: "kubelab report", Student: "Student", Lab: "Lab", Target: "Target", Image: "Image",
		Digest: "Digest", Cluster: "Cluster", Namespace: "Namespace", Context: "Context",
		Deployment: "Deployment", Service: "Service", Date: "Date", Score: "Score",
		Passed: "Lab passed", NotPassed: "Not passed yet: a required check did not pass, or the score is below the pass mark",
		Step: "Step", Check: "Check", Status: "Status", Points: "Points", Message: "Message",
		Hint: "Hint", Hints: "More hints", Evidence: "Evidence", Total: "Total", Required: "required",
		Lesson: "lesson", Duration: "Duration",
		StatusName: map[Status]string{Pass: "pass", Fail: "fail", Partial: "partial", Error: "error", Skipped: "skipped"},
	},
	"id": {
		Title: "Laporan kubelab", Student: "Mahasiswa", Lab: "Lab", Target: "Target", Image: "Image",
		Digest: "Digest", Cluster: "Klaster", Namespace: "Namespace", Context: "Context",
		Deployment: "Deployment", Service: "Service", Date: "Tanggal", Score: "Nilai",
		Passed: "Lab lulus", NotPassed: "Belum lulus: ada pemeriksaan wajib yang belum lulus, atau nilai di bawah batas lulus",
		Step: "Langkah", Check: "Pemeriksaan", Status: "Status", Points: "Poin", Message: "Pesan",
		Hint: "Petunjuk", Hints: "Petunjuk lain", Evidence: "Bukti", Total: "Total", Required: "wajib",
		Lesson: "materi", Duration: "Durasi",
		StatusName: map[Status]string{Pass: "lulus", Fail: "gagal", Partial: "sebagian", Error: "error", Skipped: "dilewati"},
	},
}

// LabelsFor returns the labels in lang, English when unknown.
func LabelsFor(lang string) Labels {
	if l, ok := labels[lang]; ok {
		return l
	}
	return labels["en"]
}
