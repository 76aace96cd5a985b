variable "region" {
  description = "AWS region for every resource in this lesson."
  type        = string
  default     = "us-east-1"
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
