package mailbox

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// tlsWithCAFile returns base (cloned) trusting, besides the system's roots,
// the certificates of the PEM file caFile: a mailbox or submission server
// whose certificate a private CA signed. base wins when it already names
// its roots (tests); caFile "" changes nothing.
func tlsWithCAFile(base *tls.Config, caFile, what string) (*tls.Config, error) {
	if caFile == "" || (base != nil && base.RootCAs != nil) {
		return base, nil
	}
	b, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("%s: ca_file: %w", what, err) // *PathError names the file
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: ca_file %s holds no PEM certificate (want the CA's certificate, -----BEGIN CERTIFICATE-----)", what, caFile)
	}
	var c *tls.Config
	if base != nil {
		c = base.Clone()
	} else {
		c = &tls.Config{}
	}
	c.RootCAs = pool
	return c, nil
}
