variable "region" {
  description = "AWS region for every resource. Leave unset to use your AWS CLI's region (AWS_REGION or your profile)."
  type        = string
  default     = null
}

variable "instance_type" {
  description = "Size of the EC2 instance. t2.micro is in the AWS free tier."
  type        = string
  default     = "t2.micro"
}

variable "ami_id" {
  description = "AMI for the instance. Leave empty to use the newest Amazon Linux 2023 image of the region."
  type        = string
  default     = ""
}

variable "pull_repository" {
  description = "The ECR repository the instance is meant to pull from."
  type        = string
  default     = "flask_app"
}

variable "other_repository" {
  description = "Another of your ECR repositories, which the instance should not need."
  type        = string
  default     = "reports_app"
}

# ---------------------------------------------------------------------------
# SSH into the instance (real AWS only; off unless both are set).
# ---------------------------------------------------------------------------
variable "ssh_public_key" {
  description = "Your SSH public key (the contents of ~/.ssh/id_ed25519.pub). Empty: no key pair, no SSH."
  type        = string
  default     = ""
}

variable "ssh_allowed_cidr" {
  description = "The only address allowed to SSH in, as a /32 CIDR (your address, e.g. 203.0.113.7/32). Empty: no SSH rule."
  type        = string
  default     = ""

  validation {
    condition     = var.ssh_allowed_cidr == "" || (can(cidrhost(var.ssh_allowed_cidr, 0)) && endswith(var.ssh_allowed_cidr, "/32"))
    error_message = "ssh_allowed_cidr must be one address as a /32 CIDR, e.g. 203.0.113.7/32: never open SSH to a whole network."
  }
}
