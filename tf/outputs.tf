output "role_name" {
  value = aws_iam_role.ec2_ecr_role.name
}

output "role_arn" {
  value = aws_iam_role.ec2_ecr_role.arn
}

output "instance_profile_name" {
  value = aws_iam_instance_profile.ec2_profile.name
}

output "instance_id" {
  value = aws_instance.ec2_instance.id
}

output "pull_repository_arn" {
  description = "ARN of the repository the instance is meant to pull from."
  value       = data.aws_ecr_repository.pull.arn
}

output "other_repository_arn" {
  value = data.aws_ecr_repository.other.arn
}

output "pull_repository_url" {
  value = data.aws_ecr_repository.pull.repository_url
}

output "instance_public_ip" {
  value = aws_instance.ec2_instance.public_ip
}

output "ssh_command" {
  description = "How to log in to the instance (when SSH is switched on)."
  value       = local.ssh_enabled ? "ssh ec2-user@${aws_instance.ec2_instance.public_ip}" : "SSH is off: set ssh_public_key and ssh_allowed_cidr"
}
