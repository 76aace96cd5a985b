# After terraform-aws-modules/terraform-aws-ec2-instance v5.8.0, examples/complete, module
# "ec2_complete" (trimmed to what the course's sandbox serves): the vendored module (../vendor)
# with a public IP, a security group, a subnet of a VPC. The VPC and security group are plain
# resources here (upstream uses the registry's vpc and security-group modules).
terraform {
  required_version = ">= 1.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 4.66"
    }
  }
}

provider "aws" {
  region = local.region
}

locals {
  name   = "ex-ec2-complete"
  region = "us-east-1"

  tags = {
    Name       = local.name
    Example    = local.name
    Repository = "https://github.com/terraform-aws-modules/terraform-aws-ec2-instance"
  }
}

data "aws_ami" "amazon_linux" {
  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["amzn2-ami-hvm-*-x86_64-gp2"]
  }
}

resource "aws_vpc" "this" {
  cidr_block = "10.99.0.0/18"
  tags       = local.tags
}

resource "aws_subnet" "public" {
  vpc_id            = aws_vpc.this.id
  cidr_block        = "10.99.0.0/24"
  availability_zone = "${local.region}a"
  tags              = local.tags
}

resource "aws_security_group" "this" {
  name        = local.name
  description = "Security group for example usage with EC2 instance"
  vpc_id      = aws_vpc.this.id

  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = local.tags
}

module "ec2_complete" {
  source = "../vendor/terraform-aws-ec2-instance-v5.8.0"

  name = local.name

  ami                         = data.aws_ami.amazon_linux.id
  instance_type               = "t3.micro"
  availability_zone           = "${local.region}a"
  subnet_id                   = aws_subnet.public.id
  vpc_security_group_ids      = [aws_security_group.this.id]
  associate_public_ip_address = true
  disable_api_stop            = false

  create_iam_instance_profile = true
  iam_role_description        = "IAM role for EC2 instance"
  iam_role_policies = {
    AdministratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"
  }

  tags = local.tags
}
