"""Site-wide signal handlers, connected in ``WebsiteConfig.ready()``."""
