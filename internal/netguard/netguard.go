// Package netguard limits where kubelab's probes may connect. With
// KUBELAB_ALLOW_NETS set (a comma-separated list of CIDRs, as the tests and
// `make demo` set it to 127.0.0.0/8), a dial to any other address is refused
// before a packet is sent. Unset, probes connect where a student's browser
// would.
package netguard

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// EnvVar names the allow-list variable.
const EnvVar = "KUBELAB_ALLOW_NETS"

// Allowed parses the allow-list; nil means everything is allowed.
func Allowed() ([]*net.IPNet, error) {
	v := strings.TrimSpace(os.Getenv(EnvVar))
	if v == "" {
		return nil, nil
	}
	var nets []*net.IPNet
	for _, s := range strings.Split(v, ",") {
		_, n, err := net.ParseCIDR(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a CIDR", EnvVar, s)
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// Dialer returns a dialer that refuses addresses outside the allow-list.
func Dialer(timeout time.Duration) *net.Dialer {
	d := &net.Dialer{Timeout: timeout}
	nets, err := Allowed()
	if err != nil || nets != nil {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			if err != nil {
				return err
			}
			host, _, splitErr := net.SplitHostPort(address)
			if splitErr != nil {
				return splitErr
			}
			ip := net.ParseIP(host)
			for _, n := range nets {
				if ip != nil && n.Contains(ip) {
					return nil
				}
			}
			return fmt.Errorf("netguard: connection to %s refused (%s allows only %s)", address, EnvVar, os.Getenv(EnvVar))
		}
	}
	return d
}
