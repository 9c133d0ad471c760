// Package codecheck holds no code: its tests check rules of the whole
// repository that no compiler checks (codecheck_test.go): no production
// function over 100 lines without a comment saying why, and README's layout
// table naming every package.
package codecheck
