//go:build !unix

package extract

import "errors"

func limitSelf(cpuSeconds, memory int64) error {
	if cpuSeconds > 0 || memory > 0 {
		return errors.New("resource limits need a Unix system")
	}
	return nil
}
