package drivers

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/relevo/relevo/adapters/channelkit"
)

// repoRoot walks up from the working directory to go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

func build(t *testing.T, pkg string) Command {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return Command{Argv: []string{bin}}
}

func conform(t *testing.T, d channelkit.Driver) {
	t.Helper()
	results, err := channelkit.Run(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %s: %v", d.Name(), r.Name, r.Err)
		}
	}
}

func TestWhatsAppConforms(t *testing.T) {
	conform(t, &WhatsApp{Cmd: build(t, "./adapters/whatsapp")})
}

func TestWebchatConforms(t *testing.T) {
	conform(t, &Webchat{Cmd: build(t, "./adapters/webchat")})
}

// The TypeScript example needs Node and `npm ci` in its directory (.ci/run
// does both); elsewhere it is skipped, and under CI=true it fails.
func TestExampleTypeScriptConforms(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "adapters", "example-typescript")
	_, errNode := exec.LookPath("node")
	_, errMods := os.Stat(filepath.Join(dir, "node_modules", ".bin", "tsx"))
	if errNode != nil || errMods != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the TypeScript example cannot run (node: %v; node_modules: %v): run npm ci in %s", errNode, errMods, dir)
		}
		t.Skipf("the TypeScript example needs node and `npm ci` in %s", dir)
	}
	conform(t, &Example{Cmd: Command{Argv: []string{"node", "--import", "tsx", "src/main.ts"}, Dir: dir}})
}

func TestNotionDeskConforms(t *testing.T) {
	results, err := channelkit.RunDesk(context.Background(), &Notion{Cmd: build(t, "./adapters/notion")})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("notion: %s: %v", r.Name, r.Err)
		}
	}
}
