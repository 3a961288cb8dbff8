"""Single sign-on with OpenID Connect: each organization's provider, and the hub's own."""
