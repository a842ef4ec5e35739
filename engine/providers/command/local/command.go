// Package local is our own implementation of the part of @pulumi/command's
// `command:local:Command` that dean-infra uses (components/backup.ts, orchestrator.ts, tls.ts):
// create, update, delete, triggers, environment, stdin, dir, interpreter, logging and
// addPreviousOutputInEnv, with outputs stdout and stderr. Its behaviour follows
// pulumi-command v1.2.1 (provider/pkg/provider/local/commandController.go, commandOutputs.go,
// base.go, logging.go); the code is ours. assetPaths and archivePaths are in the schema, so
// the npm SDK's names all resolve, but this build refuses them (nothing here uses them).
package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Logging says which of the command's streams go to the Pulumi log (as the real enum).
type Logging string

func (Logging) Values() []infer.EnumValue[Logging] {
	return []infer.EnumValue[Logging]{
		{Name: "stdout", Value: "stdout", Description: "Capture stdout in logs but not stderr"},
		{Name: "stderr", Value: "stderr", Description: "Capture stderr in logs but not stdout"},
		{Name: "stdoutAndStderr", Value: "stdoutAndStderr", Description: "Capture stdout and stderr in logs"},
		{Name: "none", Value: "none", Description: "Capture no logs"},
	}
}

// Unset means both streams, as in pulumi-command.
func (l *Logging) logs(stream string) bool {
	return l == nil || string(*l) == stream || *l == "stdoutAndStderr"
}

// Inputs: the same names and types as pulumi-command v1.2.1's CommandInputs.
type Inputs struct {
	// Changing triggers replaces the resource (the create command runs again).
	Triggers *[]any  `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create   *string `pulumi:"create,optional"`
	Update   *string `pulumi:"update,optional"`
	Delete   *string `pulumi:"delete,optional"`

	Interpreter            *[]string          `pulumi:"interpreter,optional"`
	Dir                    *string            `pulumi:"dir,optional"`
	Environment            *map[string]string `pulumi:"environment,optional"`
	Stdin                  *string            `pulumi:"stdin,optional"`
	AssetPaths             *[]string          `pulumi:"assetPaths,optional"`
	ArchivePaths           *[]string          `pulumi:"archivePaths,optional"`
	AddPreviousOutputInEnv *bool              `pulumi:"addPreviousOutputInEnv,optional"`
	Logging                *Logging           `pulumi:"logging,optional"`
}

func (i *Inputs) Annotate(a infer.Annotator) {
	a.Describe(&i.Triggers, "Trigger a resource replacement on changes to any of these values.")
	a.Describe(&i.Create, "The command to run on create.")
	a.Describe(&i.Update, "The command to run on update, if empty, create will run again.")
	a.Describe(&i.Delete, "The command to run on delete.")
	a.Describe(&i.Interpreter, "The program and arguments to run the command; default [\"/bin/sh\", \"-c\"].")
	a.Describe(&i.Dir, "The directory to run the command in (default: the provider's working directory).")
	a.Describe(&i.Environment, "Additional environment variables available to the command's process.")
	a.Describe(&i.Stdin, "Passed to the command's process as standard input.")
	a.Describe(&i.AssetPaths, "Not supported by this build.")
	a.Describe(&i.ArchivePaths, "Not supported by this build.")
	a.Describe(&i.AddPreviousOutputInEnv, "Whether the previous stdout and stderr are passed as PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR. Defaults to true.")
	a.SetDefault(&i.AddPreviousOutputInEnv, true)
	a.Describe(&i.Logging, "Which of stdout and stderr are logged (default both); capturing them into the outputs is not affected.")
}

// Outputs: every input, plus what the command printed.
type Outputs struct {
	Inputs
	Stdout  string                      `pulumi:"stdout"`
	Stderr  string                      `pulumi:"stderr"`
	Assets  *map[string]*resource.Asset `pulumi:"assets,optional"`
	Archive *resource.Archive           `pulumi:"archive,optional"`
}

func (o *Outputs) Annotate(a infer.Annotator) {
	a.Describe(&o.Stdout, "The standard output of the command's process")
	a.Describe(&o.Stderr, "The standard error of the command's process")
}

// Command is command:local:Command. Diffs are infer's defaults, as in pulumi-command: a change
// of triggers replaces, any other input change is an update; every output depends on every
// input, so a secret input (environment here) makes stdout and stderr secret too.
type Command struct{}

func (c *Command) Annotate(a infer.Annotator) {
	a.SetToken("local", "Command")
	a.Describe(&c, "A local command to be executed (dean-infra's own command provider).")
}

// Create runs `create` (nothing in a preview, nothing when unset). The ID is the resource name
// plus random hex, as pulumi-command makes it.
func (*Command) Create(ctx context.Context, req infer.CreateRequest[Inputs]) (infer.CreateResponse[Outputs], error) {
	state := Outputs{Inputs: req.Inputs}
	id, err := resource.NewUniqueHex(req.Name, 8, 0)
	if err != nil || req.DryRun || req.Inputs.Create == nil {
		return infer.CreateResponse[Outputs]{ID: id, Output: state}, err
	}
	err = run(ctx, *req.Inputs.Create, &state)
	return infer.CreateResponse[Outputs]{ID: id, Output: state}, err
}

// Update runs `update`, or `create` again when there is no `update`; the previous stdout and
// stderr stay when neither is set.
func (*Command) Update(ctx context.Context, req infer.UpdateRequest[Inputs, Outputs]) (infer.UpdateResponse[Outputs], error) {
	state := Outputs{Inputs: req.Inputs, Stdout: req.State.Stdout, Stderr: req.State.Stderr}
	command := req.Inputs.Update
	if command == nil {
		command = req.Inputs.Create
	}
	if req.DryRun || command == nil {
		return infer.UpdateResponse[Outputs]{Output: state}, nil
	}
	err := run(ctx, *command, &state)
	return infer.UpdateResponse[Outputs]{Output: state}, err
}

// Delete runs `delete` with the inputs recorded in the state, when there is one.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[Outputs]) (infer.DeleteResponse, error) {
	if req.State.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	state := req.State
	return infer.DeleteResponse{}, run(ctx, *state.Delete, &state)
}

// locked serialises the writes of the two streams into the combined buffer.
type locked struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *locked) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// run executes command through the interpreter. On success state.Stdout and state.Stderr get
// the streams with one trailing newline removed; on a failure the error names the command and
// carries both streams (whatever `logging` says), as pulumi-command's does.
func run(ctx context.Context, command string, state *Outputs) error {
	in := state.Inputs
	if in.AssetPaths != nil || in.ArchivePaths != nil {
		return errors.New("assetPaths and archivePaths are not supported by dean-infra's command provider")
	}
	args := []string{"/bin/sh", "-c"}
	if in.Interpreter != nil && len(*in.Interpreter) > 0 {
		args = append([]string{}, *in.Interpreter...)
	}
	args = append(args, command)

	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if in.Dir != nil {
		cmd.Dir = *in.Dir
	} else {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		cmd.Dir = wd
	}
	cmd.Env = os.Environ()
	if in.Environment != nil {
		for k, v := range *in.Environment {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if in.AddPreviousOutputInEnv == nil || *in.AddPreviousOutputInEnv {
		if state.Stdout != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+state.Stdout)
		}
		if state.Stderr != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDERR="+state.Stderr)
		}
	}
	if in.Stdin != nil && *in.Stdin != "" {
		cmd.Stdin = strings.NewReader(*in.Stdin)
	}

	var stdout, stderr, combined bytes.Buffer
	both := &locked{w: &combined}
	logR, logW := io.Pipe()
	outs := []io.Writer{&stdout, both}
	if in.Logging.logs("stdout") {
		outs = append(outs, logW)
	}
	errs := []io.Writer{&stderr, both}
	if in.Logging.logs("stderr") {
		errs = append(errs, logW)
	}
	cmd.Stdout = io.MultiWriter(outs...)
	cmd.Stderr = io.MultiWriter(errs...)

	logged := make(chan struct{})
	go func() { // each line as an info status message, as pulumi-command logs them
		defer close(logged)
		scanner := bufio.NewScanner(logR)
		scanner.Buffer(make([]byte, 64*1024), 1024*1024)
		for scanner.Scan() {
			p.GetLogger(ctx).InfoStatus(scanner.Text())
		}
		_, _ = io.Copy(io.Discard, logR)
	}()
	err := cmd.Run()
	_ = logW.Close()
	<-logged
	if err != nil {
		return fmt.Errorf("%w: running %q:\n%s", err, command, combined.String())
	}
	state.Stdout = strings.TrimSuffix(stdout.String(), "\n")
	state.Stderr = strings.TrimSuffix(stderr.String(), "\n")
	return nil
}
