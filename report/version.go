package report

// Version is kubelab's version, set by the build (-ldflags -X); reports and
// class files name it.
var Version = "dev"
