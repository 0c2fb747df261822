"""chainboard: supply-chain performance management for payment-by-results programmes."""
