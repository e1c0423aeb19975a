package serve

// Token is the session token pages carry: the external tests send it as a
// page would.
func (s *Server) Token() string { return s.token }
