package smtpmail

// DialVia makes s connect to addr while it keeps the URL's host for TLS verification
// and the AUTH policy, so that a test can stand a "remote" host up on loopback.
func DialVia(s *Sender, addr string) { s.dialAddr = addr }
