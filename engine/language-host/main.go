// pulumi-language-nodejs, as this project builds it: a front for the v3.68.0 Node.js language
// host (the newest the Go module proxy serves, built by engine/language-nodejs and installed
// beside this binary as pulumi-language-nodejs-v3.68), adding what that host lacks and CLI
// v3.248.0 needs: RunPlugin, which starts Node.js policy packs (`pulumi preview --policy-pack`)
// and plugins. Every other LanguageRuntime call is passed to the v3.68 host unchanged, as raw
// bytes, so fields either side knows and the other does not survive the trip.
//
// engine/README.md, "language-host/", says why and how.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
)

// innerHostName is the v3.68.0 host's file name, in this binary's directory.
const innerHostName = "pulumi-language-nodejs-v3.68"

// innerHostEnv, when set, names the inner host's path instead (for tests).
const innerHostEnv = "DEAN_NODEJS_INNER_LANGUAGE_HOST"

// maxMessageBytes is the limit the CLI and Pulumi's own servers use (400 MiB).
const maxMessageBytes = 400 * 1024 * 1024

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (dean-infra front for v3.68.0): %v\n", err)
		os.Exit(1)
	}
}

func innerHostPath() (string, error) {
	if p := os.Getenv(innerHostEnv); p != "" {
		return p, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	return filepath.Join(filepath.Dir(self), innerHostName), nil
}

func run(args []string) error {
	// The inner host is asked to die with us (Pdeathsig), which Linux ties to the thread that
	// started it: keep main's goroutine on one thread for the life of the process.
	runtime.LockOSThread()

	// Handle the CLI's SIGINT/SIGTERM ourselves (it signals our whole process group, the inner
	// host and any plugin we run included) so that we can wait for the children briefly.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)

	innerPath, err := innerHostPath()
	if err != nil {
		return err
	}
	inner := exec.Command(innerPath, args...)
	inner.Stdin = nil
	inner.Stderr = os.Stderr
	inner.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	innerOut, err := inner.StdoutPipe()
	if err != nil {
		return err
	}
	if err := inner.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", innerPath, err)
	}
	innerDone := make(chan error, 1)

	// The plugin handshake: the inner host's first line on stdout is its port; whatever it
	// writes after that goes to our stdout, where the CLI reads and shows it.
	reader := bufio.NewReader(innerOut)
	portLine, readErr := reader.ReadString('\n')
	if readErr != nil {
		_ = inner.Process.Kill()
		waitErr := inner.Wait()
		return fmt.Errorf("the v3.68 host (%s) printed no port (read %q: %v; exit: %v)", innerPath, portLine, readErr, waitErr)
	}
	innerPort, err := strconv.Atoi(strings.TrimSpace(portLine))
	if err != nil || innerPort <= 0 || innerPort > 65535 {
		_ = inner.Process.Kill()
		_ = inner.Wait()
		return fmt.Errorf("the v3.68 host printed %q, not a port", portLine)
	}
	copied := make(chan struct{})
	go func() {
		_, _ = reader.WriteTo(os.Stdout)
		close(copied)
	}()
	go func() {
		<-copied // Wait must not close the pipe before everything was read
		innerDone <- inner.Wait()
	}()

	front, err := newFront(fmt.Sprintf("127.0.0.1:%d", innerPort))
	if err != nil {
		_ = inner.Process.Kill()
		return err
	}
	defer front.close()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = inner.Process.Kill()
		return err
	}
	server := grpc.NewServer(
		grpc.ForceServerCodec(rawCodec{}),
		grpc.UnknownServiceHandler(front.handle),
		grpc.MaxRecvMsgSize(maxMessageBytes),
		grpc.MaxSendMsgSize(maxMessageBytes),
	)
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	fmt.Printf("%d\n", listener.Addr().(*net.TCPAddr).Port)

	stop := func() {
		front.killPlugins()
		stopped := make(chan struct{})
		go func() { server.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(2 * time.Second):
			server.Stop()
		}
	}

	select {
	case err := <-innerDone:
		// The inner host ends when the engine it health-checks goes away: so do we.
		stop()
		return exitStatus(err)
	case sig := <-signals:
		_ = inner.Process.Signal(sig)
		stop()
		select {
		case <-innerDone:
		case <-time.After(5 * time.Second):
			_ = inner.Process.Kill()
			<-innerDone
		}
		return nil
	case err := <-served:
		_ = inner.Process.Kill()
		<-innerDone
		return fmt.Errorf("serving: %w", err)
	}
}

// exitStatus makes the inner host's exit ours: nothing on success, its code otherwise.
func exitStatus(err error) error {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code := exitErr.ExitCode()
		if code < 0 {
			code = 1
		}
		os.Exit(code)
	}
	return err
}

// front forwards calls to the inner host and serves RunPlugin itself.
type front struct {
	conn *grpc.ClientConn

	mu      sync.Mutex
	plugins map[*exec.Cmd]struct{}
}

func (f *front) handle(_ any, stream grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(stream)
	if !ok {
		return errors.New("no method name on the stream")
	}
	if method == runPluginMethod {
		return f.runPlugin(stream)
	}
	return f.forward(method, stream)
}

func (f *front) track(cmd *exec.Cmd, running bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if running {
		f.plugins[cmd] = struct{}{}
	} else {
		delete(f.plugins, cmd)
	}
}

func (f *front) killPlugins() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for cmd := range f.plugins {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
		}
	}
}
