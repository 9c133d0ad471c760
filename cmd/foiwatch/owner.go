package main

import (
	"fmt"
	"os/user"
	"strconv"
	"strings"

	"github.com/foiwatch/foiwatch/queue"
)

// storeOwnerHint says how to run a command that refused the daemon's store
// (queue.StoreOwnerError): as the daemon's user, so that nothing it writes
// there is owned by another, or once the daemon runs, through it.
func storeOwnerHint(e *queue.StoreOwnerError, name string, args []string) string {
	cmd := "foiwatch " + name
	for _, a := range args {
		if strings.ContainsAny(a, " \t'\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		cmd += " " + a
	}
	who := "the daemon's user"
	sudo := "sudo -u foiwatch"
	if e.Owner >= 0 {
		who = "uid " + strconv.Itoa(e.Owner)
		sudo = "sudo -u '#" + strconv.Itoa(e.Owner) + "'"
		if u, err := user.LookupId(strconv.Itoa(e.Owner)); err == nil {
			who += " (" + u.Username + ")"
			sudo = "sudo -u " + u.Username
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "run it as %s, so that the daemon can still use every file of its store:\n", who)
	fmt.Fprintf(&b, "  %s %s\n", sudo, cmd)
	fmt.Fprintf(&b, "or, with the shipped systemd unit (DynamicUser=yes), as the service's own user:\n")
	fmt.Fprintf(&b, "  systemd-run --pipe --wait --quiet -p User=foiwatch -p DynamicUser=yes -p StateDirectory=foiwatch -p LoadCredential=foiwatch:/etc/foiwatch/credentials %s\n", cmd)
	if e.Err == nil {
		fmt.Fprintf(&b, "or start the daemon (systemctl start foiwatch) and run the command again: it then goes through the daemon.")
	} else {
		fmt.Fprintf(&b, "(root may also read the store of a running daemon.)")
	}
	return b.String()
}
