package packaging

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	gosync "sync"
	"testing"
)

// repoRoot is the module root, where action.yml and the Dockerfile live.
var repoRoot = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Dir(wd)
}()

// hostEnv is the small environment the harnesses give their processes:
// enough to find tools and Go's caches, and nothing else of this machine's
// environment (no proxies, no tokens).
func hostEnv(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{"HOME": t.TempDir(), "LANG": "C.UTF-8"}
	for _, k := range []string{"PATH", "GOROOT", "GOPATH", "GOCACHE", "GOMODCACHE", "GOFLAGS", "GOPROXY", "GONOSUMDB", "GOTOOLCHAIN"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		if env[k] == "" {
			out, err := exec.Command("go", "env", k).Output()
			if err != nil {
				t.Fatal(err)
			}
			env[k] = strings.TrimSpace(string(out))
		}
	}
	return env
}

func environ(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

// dockerBuildCommand is the Dockerfile's build-stage RUN line, with its
// ARGs filled in and the output path moved to out.
func dockerBuildCommand(t *testing.T, version, goos, goarch, out string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var run string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			if run != "" {
				t.Fatal("the Dockerfile has two go build lines")
			}
			run = strings.TrimPrefix(l, "RUN ")
		}
	}
	if run == "" {
		t.Fatal("no RUN ... go build line in the Dockerfile")
	}
	if !strings.Contains(run, "-o /out/tide") {
		t.Fatalf("the build stage no longer writes /out/tide: %s", run)
	}
	run = strings.NewReplacer("${VERSION}", version, "${TARGETOS}", goos, "${TARGETARCH}", goarch, "/out/tide", out).Replace(run)
	if strings.Contains(run, "${") {
		t.Fatalf("unfilled ARG in %s", run)
	}
	return run
}

var (
	buildOnce gosync.Once
	builtBin  string
	buildErr  error
	buildLog  string
)

// testVersion is stamped into the binary the tests build.
const testVersion = "7.7.7-test"

// tideBinary builds tide once for the host, with the Dockerfile's exact
// build command.
func tideBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tide-packaging-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "tide")
		cmdline := dockerBuildCommand(t, testVersion, runtime.GOOS, runtime.GOARCH, builtBin)
		cmd := exec.Command("sh", "-c", cmdline)
		cmd.Dir = repoRoot
		cmd.Env = environ(hostEnv(t))
		out, err := cmd.CombinedOutput()
		buildLog, buildErr = cmdline+"\n"+string(out), err
	})
	if buildErr != nil {
		t.Fatalf("build stage: %v\n%s", buildErr, buildLog)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// TestDockerfileBuildStage runs the Dockerfile's build command (there is no
// container engine on the CI machine) and checks what the runtime stage
// relies on: a static binary (distroless/static has no libc), the version
// stamped, paths trimmed.
func TestDockerfileBuildStage(t *testing.T) {
	t.Parallel()
	bin := tideBinary(t)

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("not an ELF binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a dynamic loader (PT_INTERP): not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary links %v: not static", libs)
	}

	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	// -trimpath leaves -ldflags out of the build info; `tide version`
	// below checks the stamp.
	for _, want := range []string{"build\tCGO_ENABLED=0", "build\t-trimpath=true"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("go version -m lacks %q:\n%s", want, out)
		}
	}

	out, err = exec.Command(bin, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "tide "+testVersion {
		t.Fatalf("tide version = %q, %v", out, err)
	}
}

// TestDockerfileRuntimeStage checks the runtime stage's promises as text:
// non-root, CA certificates (distroless/static ships them), tide as the
// entrypoint.
func TestDockerfileRuntimeStage(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	stages := regexp.MustCompile(`(?m)^FROM `).FindAllStringIndex(s, -1)
	if len(stages) != 3 {
		t.Fatalf("want build, ci and runtime stages, got %d FROM lines", len(stages))
	}
	// The last stage is what `docker build` without --target produces.
	runtimeStage := s[stages[2][0]:]
	for _, want := range []string{"FROM gcr.io/distroless/static-debian12:nonroot", "USER 65532:65532", `ENTRYPOINT ["tide"]`, "COPY --from=build /out/tide /usr/local/bin/tide"} {
		if !strings.Contains(runtimeStage, want) {
			t.Errorf("runtime stage lacks %q", want)
		}
	}
}

// runLogged runs cmd and returns its combined output.
func runLogged(t *testing.T, cmd *exec.Cmd) (string, error) {
	t.Helper()
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

func must(t *testing.T, err error, format string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(format, args...), err)
	}
}
