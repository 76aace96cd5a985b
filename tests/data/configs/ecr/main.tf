# After terraform-aws-modules/terraform-aws-ecr v2.4.0, examples/complete, module "ecr": the
# same call against the vendored module (../vendor). Left out: the public (ECR Public) and
# registry-level parts (replication, pull-through cache via Secrets Manager), which the sandbox
# does not offer.
terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.93"
    }
  }
}

provider "aws" {
  region = local.region
}

locals {
  region = "us-east-1"
  name   = "ecr-ex-complete"

  tags = {
    Name       = local.name
    Example    = local.name
    Repository = "https://github.com/terraform-aws-modules/terraform-aws-ecr"
  }
}

data "aws_caller_identity" "current" {}

module "ecr_disabled" {
  source = "../vendor/terraform-aws-ecr-v2.4.0"

  create = false
}

module "ecr" {
  source = "../vendor/terraform-aws-ecr-v2.4.0"

  repository_name = local.name

  repository_read_write_access_arns = [data.aws_caller_identity.current.arn]
  create_lifecycle_policy           = true
  repository_lifecycle_policy = jsonencode({
    rules = [
      {
        rulePriority = 1,
        description  = "Keep last 30 images",
        selection = {
          tagStatus     = "tagged",
          tagPrefixList = ["v"],
          countType     = "imageCountMoreThan",
          countNumber   = 30
        },
        action = {
          type = "expire"
        }
      }
    ]
  })

  repository_force_delete = true

  tags = local.tags
}
