package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/relevo/relevo/clients/relevo"
)

func newHealthCmd(g *globals) *cobra.Command {
	var service string
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Check the server's health (grpc.health.v1)",
		Long: `health asks the server's gRPC health service and prints the status
(SERVING, NOT_SERVING, ...). It exits 1 unless the status is SERVING, so it
can gate scripts and probes.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, err := callOnce(cmd, g, "health check", func(ctx context.Context, c *relevo.Client) (*healthpb.HealthCheckResponse, error) {
				return healthpb.NewHealthClient(c.Conn()).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
			})
			if err != nil {
				return err
			}
			if err := show(cmd, g, resp, printHealth); err != nil {
				return err
			}
			if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				return fmt.Errorf("server is %s", resp.GetStatus())
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&service, "service", "", `service to check, e.g. "relevo.v1.TicketService"; empty for the whole server`)
	return cmd
}

func printHealth(w io.Writer, resp *healthpb.HealthCheckResponse) error {
	_, err := fmt.Fprintln(w, resp.GetStatus())
	return err
}
