"""What wraps every request: body guards, security headers, metrics."""
