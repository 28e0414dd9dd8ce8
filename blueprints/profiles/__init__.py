"""AWS CLI profile blueprints."""
