package main

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// frame is one gRPC message, undecoded.
type frame struct{ payload []byte }

// rawCodec passes frames through as bytes and encodes the protobuf messages of RunPlugin. It
// is named "proto" so that the content type on the wire stays application/grpc+proto.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case *frame:
		return m.payload, nil
	case proto.Message:
		return proto.Marshal(m)
	}
	return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	switch m := v.(type) {
	case *frame:
		m.payload = append(m.payload[:0], data...)
		return nil
	case proto.Message:
		return proto.Unmarshal(data, m)
	}
	return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
}

func newFront(innerAddr string) (*front, error) {
	conn, err := grpc.NewClient(innerAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(
			grpc.ForceCodec(rawCodec{}),
			grpc.MaxCallRecvMsgSize(maxMessageBytes),
			grpc.MaxCallSendMsgSize(maxMessageBytes),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("connecting to the v3.68 host at %s: %w", innerAddr, err)
	}
	return &front{conn: conn, plugins: map[*exec.Cmd]struct{}{}}, nil
}

func (f *front) close() { _ = f.conn.Close() }

// forward relays one call, of any shape (unary or streaming), to the inner host: messages both
// ways, then the inner host's headers, trailers and status.
func (f *front) forward(method string, in grpc.ServerStream) error {
	ctx := in.Context()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		out := metadata.MD{}
		for k, v := range md {
			if strings.HasPrefix(k, ":") {
				continue // pseudo-headers (:authority) are the transport's business
			}
			out[k] = v
		}
		ctx = metadata.NewOutgoingContext(ctx, out)
	}
	desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
	out, err := f.conn.NewStream(ctx, desc, method)
	if err != nil {
		return err
	}

	// Requests: CLI -> inner host.
	sent := make(chan error, 1)
	go func() {
		for {
			msg := &frame{}
			if err := in.RecvMsg(msg); err != nil {
				if errors.Is(err, io.EOF) {
					sent <- out.CloseSend()
				} else {
					sent <- err
				}
				return
			}
			if err := out.SendMsg(msg); err != nil {
				// The inner host ended the call; its status comes from RecvMsg below.
				sent <- nil
				return
			}
		}
	}()

	// Responses: inner host -> CLI.
	headerSent := false
	sendHeader := func() error {
		if headerSent {
			return nil
		}
		headerSent = true
		if md, err := out.Header(); err == nil && len(md) > 0 {
			return in.SendHeader(md)
		}
		return nil
	}
	for {
		msg := &frame{}
		err := out.RecvMsg(msg)
		if err != nil {
			_ = sendHeader()
			in.SetTrailer(out.Trailer())
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err // a status error from the inner host: passed on as it is
		}
		if err := sendHeader(); err != nil {
			return err
		}
		if err := in.SendMsg(msg); err != nil {
			return err
		}
	}
}
