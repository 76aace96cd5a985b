# After terraform-aws-modules/terraform-aws-iam v5.60.0, examples/iam-user, iam-policy and
# iam-assumable-role: the same module calls, against the vendored modules (../vendor). Left out:
# the PGP key from keybase.io (the provider would fetch it from the internet) and trusted ARNs
# of other accounts.
terraform {
  required_version = ">= 1.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 4.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "iam_user" {
  source = "../vendor/terraform-aws-iam-v5.60.0/modules/iam-user"

  name          = "vasya.pupkin"
  force_destroy = true

  create_iam_user_login_profile = false
  create_iam_access_key         = true
  password_reset_required       = false

  upload_iam_user_ssh_key = true
  ssh_public_key          = "ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA0sUjdTEcOWYgQ7ESnHsSkvPUO2tEvZxxQHUZYh9j6BPZgfn13iYhfAP2cfZznzrV+2VMamMtfiAiWR39LKo/bMN932HOp2Qx2la14IbiZ91666FD+yZ4+vhR2IVhZMe4D+g8FmhCfw1+zZhgl8vQBgsRZIcYqpYux59FcPv0lP1EhYahoRsUt1SEU2Gj+jvgyZpe15lnWk2VzfIpIsZ++AeUqyHoJHV0RVOK4MLRssqGHye6XkA3A+dMm2Mjgi8hxoL5uuwtkIsAll0kSfL5O2G26nsxm/Fpcl+SKSO4gs01d9V83xiOwviyOxmoXzwKy4qaUGtgq1hWncDNIVG/aQ=="
}

data "aws_iam_policy" "example" {
  name = "AmazonS3ReadOnlyAccess"
}

module "iam_user_with_policy" {
  source = "../vendor/terraform-aws-iam-v5.60.0/modules/iam-user"

  name = "vasya.pupkin6"

  create_iam_user_login_profile = false
  create_iam_access_key         = true
  iam_access_key_status         = "Inactive"
  policy_arns                   = [data.aws_iam_policy.example.arn]
}

module "iam_policy" {
  source = "../vendor/terraform-aws-iam-v5.60.0/modules/iam-policy"

  name_prefix = "example-"
  path        = "/"
  description = "My example policy"

  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Action": [
        "ec2:Describe*"
      ],
      "Effect": "Allow",
      "Resource": "*"
    }
  ]
}
EOF

  tags = {
    PolicyDescription = "Policy created using heredoc policy"
  }
}

module "iam_assumable_role_custom" {
  source = "../vendor/terraform-aws-iam-v5.60.0/modules/iam-assumable-role"

  create_role             = true
  create_instance_profile = true
  role_name               = "custom"
  trusted_role_services   = ["codedeploy.amazonaws.com"]

  custom_role_policy_arns = [
    "arn:aws:iam::aws:policy/AmazonCognitoReadOnly",
    module.iam_policy.arn,
  ]
  number_of_custom_role_policy_arns = 2
}
