"""The shared shell: the application factory, security headers, errors, pages and assets."""
