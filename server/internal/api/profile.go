package api

import (
	"context"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// ChannelProfile is the company as its contacts see it, from the company
// profile.
type ChannelProfile struct {
	CompanyName string
	Language    string
	Greeting    string
}

func (s *channelServer) GetChannelProfile(context.Context, *relevov1.GetChannelProfileRequest) (*relevov1.GetChannelProfileResponse, error) {
	return &relevov1.GetChannelProfileResponse{
		CompanyName: s.profile.CompanyName,
		Language:    s.profile.Language,
		Greeting:    s.profile.Greeting,
	}, nil
}
