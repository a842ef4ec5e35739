package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const runPluginMethod = "/pulumirpc.LanguageRuntime/RunPlugin"

// The entry points of @pulumi/pulumi that start a plugin program: run-policy-pack for policy
// packs (kind "analyzer"), run-plugin for the rest (resource, converter, tool plugins).
const (
	runPolicyPackModule = "@pulumi/pulumi/cmd/run-policy-pack"
	runPluginModule     = "@pulumi/pulumi/cmd/run-plugin"
)

// How long a plugin gets between SIGINT and SIGKILL once the CLI has ended its call.
const pluginStopGrace = 5 * time.Second

// runPlugin serves RunPlugin: it runs the plugin program with node and streams its stdout and
// stderr back as they come (the CLI reads the plugin's port from the first stdout line), then
// its exit code. The CLI ends the call (cancelling its context) to stop the plugin.
func (f *front) runPlugin(stream grpc.ServerStream) error {
	req := &pulumirpc.RunPluginRequest{}
	if err := stream.RecvMsg(req); err != nil {
		return err
	}
	ctx := stream.Context()

	var sendMu sync.Mutex
	send := func(resp *pulumirpc.RunPluginResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return stream.SendMsg(resp)
	}
	stdout := streamWriter(func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	})
	stderr := streamWriter(func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	})
	exit := func(code int32) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
	}

	programDir := req.GetInfo().GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetProgram() // CLIs before ProgramInfo sent the directory here
	}
	if programDir == "" {
		return status.Error(codes.InvalidArgument, "RunPlugin: no program directory")
	}
	if !filepath.IsAbs(programDir) && req.GetPwd() != "" {
		programDir = filepath.Join(req.GetPwd(), programDir)
	}
	isPolicyPack := req.GetKind() == "analyzer"

	env := req.GetEnv()
	if len(env) == 0 {
		env = os.Environ()
	}
	opts, err := parseNodeOptions(req.GetInfo().GetOptions().AsMap())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return status.Errorf(codes.FailedPrecondition, "RunPlugin: node is not on PATH: %v", err)
	}

	entry := runPluginModule
	if isPolicyPack {
		entry = runPolicyPackModule
	} else if p := lookupEnv(env, "PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		entry = p
	}
	// Resolve the entry point from the plugin's directory as Node itself would (its own
	// node_modules, then each parent's). If that fails, node's own "Cannot find module" message
	// goes to the CLI as the plugin's stderr: for a policy pack the CLI recognises it and
	// suggests installing the pack's dependencies.
	entryPath, resolveErr, err := resolveModule(nodeBin, entry, programDir, env)
	if err != nil {
		return status.Errorf(codes.Internal, "RunPlugin: resolving %s: %v", entry, err)
	}
	if entryPath == "" {
		if _, err := stderr.Write(resolveErr); err != nil {
			return err
		}
		return exit(1)
	}

	// node [nodeargs] <entry> ...: a policy pack gets the CLI's arguments (flags, then the
	// engine address, which run-policy-pack drops) and then the pack directory, and runs in the
	// pack directory, as the pulumi-analyzer-policy script always ran it; other plugins get
	// their directory first, then the arguments, and run in the CLI's working directory.
	args := append([]string{}, opts.nodeargs...)
	args = append(args, entryPath)
	dir := req.GetPwd()
	if isPolicyPack {
		args = append(args, req.GetArgs()...)
		args = append(args, programDir)
		dir = programDir
	} else {
		args = append(args, programDir)
		args = append(args, req.GetArgs()...)
	}

	cmd := exec.Command(nodeBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = stdout // io.Writer wrappers: exec copies, and Wait waits for the copying
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return status.Errorf(codes.Internal, "RunPlugin: starting %s: %v", nodeBin, err)
	}
	f.track(cmd, true)
	defer f.track(cmd, false)

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	var waitErr error
	select {
	case waitErr = <-waited:
	case <-ctx.Done():
		// The CLI is done with the plugin (or went away): stop it, gently first.
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-waited:
		case <-time.After(pluginStopGrace):
			_ = cmd.Process.Kill()
			<-waited
		}
		return status.FromContextError(ctx.Err()).Err()
	}

	code := int32(0)
	if waitErr != nil {
		var exitErr *exec.ExitError
		if !errors.As(waitErr, &exitErr) {
			return status.Errorf(codes.Internal, "RunPlugin: waiting for node: %v", waitErr)
		}
		code = int32(exitErr.ExitCode())
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int32(ws.Signal())
		}
	}
	return exit(code)
}

// streamWriter turns each write into one response message.
type streamWriter func([]byte) error

func (w streamWriter) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if err := w(bytes.Clone(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// resolveModule asks node for require.resolve(module) from dir. It returns the path, or, when
// node could not resolve it, node's stderr.
func resolveModule(nodeBin, module, dir string, env []string) (string, []byte, error) {
	const script = `process.stdout.write(require.resolve(process.argv[1], { paths: [process.argv[2]] }))`
	cmd := exec.Command(nodeBin, "-e", script, module, dir)
	cmd.Dir = dir
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return "", errOut.Bytes(), nil
		}
		return "", nil, err
	}
	return strings.TrimSpace(out.String()), nil, nil
}

func lookupEnv(env []string, name string) string {
	value := ""
	for _, kv := range env { // the last one wins, as in exec
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			value = v
		}
	}
	return value
}

// nodeOptions are the `runtime.options` of a nodejs PulumiPlugin.yaml/PulumiPolicy.yaml that
// matter to starting a plugin.
type nodeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func parseNodeOptions(raw map[string]any) (nodeOptions, error) {
	opts := nodeOptions{typescript: true}
	if v, ok := raw["typescript"]; ok {
		switch t := v.(type) {
		case bool:
			opts.typescript = t
		case string:
			opts.typescript = t != "false" && t != "0"
		default:
			return opts, fmt.Errorf("typescript option must be a boolean, not %T", v)
		}
	}
	if v, ok := raw["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, fmt.Errorf("tsconfig option must be a string, not %T", v)
		}
		opts.tsconfig = s
	}
	if v, ok := raw["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, fmt.Errorf("nodeargs option must be a string, not %T", v)
		}
		words, err := splitWords(s)
		if err != nil {
			return opts, fmt.Errorf("nodeargs: %w", err)
		}
		opts.nodeargs = words
	}
	return opts, nil
}

// splitWords splits a command line into words: blanks separate, single and double quotes group,
// a backslash escapes the next character (outside single quotes).
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\\':
			escaped, inWord = true, true
		case quote == '"':
			if r == '"' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case unicode.IsSpace(r):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("unterminated quote or escape in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
