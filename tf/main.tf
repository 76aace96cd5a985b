provider "aws" {
  region = var.region

  # Every resource carries this tag, so cleanup can find whatever is left.
  default_tags {
    tags = {
      course = "iamlab"
    }
  }
}

# ---------------------------------------------------------------------------
# The machine: the newest Amazon Linux 2023 image of the region, unless an AMI
# id is given. A hard-coded id would exist in one region only.
# ---------------------------------------------------------------------------
data "aws_ami" "amazon_linux" {
  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}

resource "aws_instance" "ec2_instance" {
  ami                  = var.ami_id != "" ? var.ami_id : data.aws_ami.amazon_linux.id
  instance_type        = var.instance_type
  iam_instance_profile = aws_iam_instance_profile.ec2_profile.name

  # Only when SSH is switched on (real AWS): your key, and SSH from your address only.
  key_name               = local.ssh_enabled ? aws_key_pair.learner[0].key_name : null
  vpc_security_group_ids = local.ssh_enabled ? [aws_security_group.ssh[0].id] : null

  # IMDSv2 only: credentials from the metadata service need a session token (a PUT first),
  # which keeps a forwarded or SSRF'd GET from reading the role's keys.
  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  tags = {
    Name = "iamlab-ec2-instance"
  }
}

# ---------------------------------------------------------------------------
# The keycard: a role that EC2 is trusted to assume (the trust policy) ...
# ---------------------------------------------------------------------------
resource "aws_iam_role" "ec2_ecr_role" {
  name = "ec2-ecr-role"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "TrustEC2"
        Effect    = "Allow"
        Action    = "sts:AssumeRole"
        Principal = { Service = "ec2.amazonaws.com" }
      },
    ]
  })
}

# ... held by an instance profile, the container an EC2 instance can wear.
resource "aws_iam_instance_profile" "ec2_profile" {
  name = "ec2-ecr-instance-profile"
  role = aws_iam_role.ec2_ecr_role.name
}

# ---------------------------------------------------------------------------
# What the keycard opens: permissions come from policies attached to the role.
# ---------------------------------------------------------------------------
resource "aws_iam_role_policy_attachment" "ecr_read_only" {
  role       = aws_iam_role.ec2_ecr_role.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
}

# The repositories already in the account (the lesson's starting point).
data "aws_ecr_repository" "pull" {
  name = var.pull_repository
}

data "aws_ecr_repository" "other" {
  name = var.other_repository
}

# ---------------------------------------------------------------------------
# SSH access, for running the lesson's checks on a real instance. Off by default.
# ---------------------------------------------------------------------------
locals {
  ssh_enabled = var.ssh_public_key != "" && var.ssh_allowed_cidr != ""
}

resource "aws_key_pair" "learner" {
  count      = local.ssh_enabled ? 1 : 0
  key_name   = "iamlab-learner"
  public_key = var.ssh_public_key
}

resource "aws_security_group" "ssh" {
  count       = local.ssh_enabled ? 1 : 0
  name        = "iamlab-ssh"
  description = "SSH from the learner's address only"

  ingress {
    description = "SSH from one address"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.ssh_allowed_cidr]
  }

  egress {
    description = "Everything out (ECR, package repositories)"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
