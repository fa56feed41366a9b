"""Storage: a protocol in domain types (`protocol`, `model`, `errors`) and one backend package
per database (`sqlite`). Nothing outside a backend imports a driver or writes SQL."""
