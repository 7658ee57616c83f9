"""Starts moto's server with a patch for each moto bug that stops the reference platform.

Run with the tools' Python (scripts/install-tools.sh installs the pinned moto):
    .tools/venv/bin/python tools/emulator/launch.py -H 127.0.0.1 -p PORT

or as a pool of servers for a test binary that starts many (`--pool`): moto and the patches are
imported once (about 1.5 s of CPU), then each line `PORT LIFETIME LOG` read from stdin forks a
server on 127.0.0.1:PORT that writes its output to LOG and ends after LIFETIME seconds at the
latest; the pool answers each line with the server's process id. The pool ends when its stdin
does (the test binary exited), and its servers with it.

Each patch is named after the behaviour it fixes, is a few lines, and goes when a moto release
fixes it (docs/cli.md, "The emulator's patches", lists them). The launcher refuses any moto but
the version the patches were written against, so that a moto upgrade is a deliberate change.
"""

import ipaddress
import json
import secrets
import string
import sys
import uuid
from importlib.metadata import version

PINNED = "5.2.5"


def kms_key_tags_from_cloudformation():
    """`AWS::KMS::Key` `Tags` come as Key/Value; moto's tagger wants TagKey/TagValue (HTTP 500)."""
    from moto.kms.models import KmsBackend

    create_key = KmsBackend.create_key

    def patched(self, policy, key_usage, key_spec, description, tags, *args, **kwargs):
        if tags:
            tags = [{"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t else t for t in tags]
        return create_key(self, policy, key_usage, key_spec, description, tags, *args, **kwargs)

    KmsBackend.create_key = patched


def ssm_parameter_tags_from_cloudformation():
    """`AWS::SSM::Parameter` `Tags` are a map in CloudFormation; moto wants a Key/Value list."""
    from moto.ssm.models import Parameter

    create = Parameter.create_from_cloudformation_json.__func__

    def patched(cls, resource_name, cloudformation_json, *args, **kwargs):
        tags = cloudformation_json.get("Properties", {}).get("Tags")
        if isinstance(tags, dict):
            properties = dict(cloudformation_json["Properties"])
            properties["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
            cloudformation_json = {**cloudformation_json, "Properties": properties}
        return create(cls, resource_name, cloudformation_json, *args, **kwargs)

    Parameter.create_from_cloudformation_json = classmethod(patched)


def fn_cidr():
    """`Fn::Cidr` [block, count, host bits] is not implemented (the list of the first subnets)."""
    from moto.cloudformation import parsing

    clean_json = parsing.clean_json

    def patched(resource_json, resources_map):
        if isinstance(resource_json, dict) and "Fn::Cidr" in resource_json:
            block, count, bits = clean_json(resource_json["Fn::Cidr"], resources_map)
            net = ipaddress.ip_network(block, strict=False)
            prefix = net.max_prefixlen - int(bits)
            subnets = net.subnets(new_prefix=prefix)
            return [str(next(subnets)) for _ in range(int(count))]
        return clean_json(resource_json, resources_map)

    parsing.clean_json = patched


def global_table_and_secret_outputs():
    """`AWS::DynamoDB::GlobalTable` and `AWS::SecretsManager::Secret` are skipped, and the
    outputs that refer to them dropped: the table is made in the stack's region (its replicas
    are not), the secret with its generated string."""
    from moto.core.common_models import CloudFormationModel
    from moto.dynamodb.models.table import Table
    from moto.secretsmanager.models import secretsmanager_backends

    # moto's model registry names a model's service after its module (`moto.<service>…`).
    class GlobalTable(Table, CloudFormationModel):
        __module__ = "moto.dynamodb.haplat"

        @staticmethod
        def cloudformation_type():
            return "AWS::DynamoDB::GlobalTable"

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
            p = cloudformation_json.get("Properties", {})
            keep = ["KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
                    "StreamSpecification", "BillingMode"]
            table = {k: p[k] for k in keep if k in p}
            if p.get("SSESpecification"):
                table["SSESpecification"] = {"SSEEnabled": p["SSESpecification"].get("SSEEnabled", False)}
            return Table.create_from_cloudformation_json(
                resource_name, {"Properties": table}, account_id, region_name, **kw)

    def create_secret(name, p, account_id, region_name):
        value = p.get("SecretString")
        if value is None:
            generate = p.get("GenerateSecretString", {})
            alphabet = [c for c in string.ascii_letters + string.digits if c not in generate.get("ExcludeCharacters", "")]
            value = "".join(secrets.choice(alphabet) for _ in range(int(generate.get("PasswordLength", 32))))
        made = secretsmanager_backends[account_id][region_name].create_secret(
            name=name, secret_string=value, secret_binary=None, description=p.get("Description"),
            tags=p.get("Tags"), kms_key_id=p.get("KmsKeyId"), client_request_token=None,
            replica_regions=[], force_overwrite=False)
        return json.loads(made)["ARN"]  # the API's answer, as JSON text

    def delete_secret(arn, account_id, region_name):
        secretsmanager_backends[account_id][region_name].delete_secret(
            secret_id=arn, recovery_window_in_days=None, force_delete_without_recovery=True)

    arn_model("AWS::SecretsManager::Secret", "secretsmanager", "Name", create_secret, delete_secret)


def arn_model(cfn_type, service, name_property, create, delete):
    """Registers a CloudFormation model for `cfn_type` whose `Ref` and `Fn::GetAtt` give the ARN
    that `create(name, properties, account, region)` returns; `delete(arn, account, region)`."""
    from moto.core.common_models import CloudFormationModel

    def made(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        return cls(create(resource_name, cloudformation_json.get("Properties", {}), account_id, region_name),
                   account_id, region_name)

    def init(self, arn, account_id, region_name):
        self.arn, self.account_id, self.region_name = arn, account_id, region_name

    # A direct subclass (moto lists `CloudFormationModel.__subclasses__()`), in a module its
    # model registry can name the service after (`moto.<service>…`).
    type(cfn_type.replace("::", ""), (CloudFormationModel,), {
        "__module__": f"moto.{service}.haplat",
        "__init__": init,
        "physical_resource_id": property(lambda self: self.arn),
        "cloudformation_type": staticmethod(lambda: cfn_type),
        "cloudformation_name_type": staticmethod(lambda: name_property),
        "create_from_cloudformation_json": classmethod(made),
        "has_cfn_attr": classmethod(lambda cls, attr: attr in ("Arn", "Id")),
        "get_cfn_attribute": lambda self, attr: self.arn,
        "delete": lambda self, account_id, region_name: delete(self.arn, account_id, region_name),
    })


def acm_certificate():
    """`AWS::CertificateManager::Certificate` is skipped: a listener that names it has no
    certificate and fails (HTTP 500). Requested (not validated: nothing in the emulator needs it)."""
    from moto.acm.models import acm_backends

    def request(name, p, account_id, region_name):
        return acm_backends[account_id][region_name].request_certificate(
            domain_name=p["DomainName"], idempotency_token=None,
            subject_alt_names=p.get("SubjectAlternativeNames", []), tags=p.get("Tags", []))

    def delete(arn, account_id, region_name):
        acm_backends[account_id][region_name].delete_certificate(arn)

    arn_model("AWS::CertificateManager::Certificate", "acm", "", request, delete)


def stack_instance_stacks_named_as_aws():
    """A self-managed stack set's instance stack is `StackSet:<name>`, and the instance's
    `StackId` names no stack: a colon no name derived from the stack allows (a target group's
    is refused), and no way to find the stack from the instance. AWS: `StackSet-<name>-<uuid>`,
    and the instance's `StackId` is its stack's."""
    from moto.cloudformation.models import CloudFormationBackend, StackInstance

    create_stack = CloudFormationBackend.create_stack

    def named(self, name, *args, **kwargs):
        if name.startswith("StackSet:"):
            name = f"StackSet-{name.removeprefix('StackSet:')}-{uuid.uuid4()}"
        return create_stack(self, name, *args, **kwargs)

    to_dict = StackInstance.to_dict

    def with_stack_id(self):
        return {**to_dict(self), "StackId": self.stack.stack_id}

    CloudFormationBackend.create_stack = named
    StackInstance.to_dict = with_stack_id


def target_group_attributes():
    """`AWS::ElasticLoadBalancingV2::TargetGroup` has no `Fn::GetAtt` (HTTP 500): its
    `TargetGroupFullName` (what CloudWatch's dimension wants), `TargetGroupName`,
    `TargetGroupArn` and `LoadBalancerArns`."""
    from moto.elbv2.models import FakeTargetGroup

    attributes = {
        "TargetGroupFullName": lambda tg: tg.arn.split(":", 5)[5],
        "TargetGroupName": lambda tg: tg.name,
        "TargetGroupArn": lambda tg: tg.arn,
        "LoadBalancerArns": lambda tg: tg.load_balancer_arns,
    }
    FakeTargetGroup.has_cfn_attr = classmethod(lambda cls, attr: attr in attributes)
    FakeTargetGroup.get_cfn_attribute = lambda self, attr: attributes[attr](self)


class Placeholder:
    """What stands in for a resource moto does not provision (`unsupported_types_addressable`)."""

    def __init__(self, name, cfn_type, account_id, region_name):
        self.physical_resource_id = name
        service = cfn_type.split("::")[1].lower()
        self.arn = f"arn:aws:{service}:{region_name}:{account_id}:{cfn_type.split('::')[2].lower()}/{name}"

    @classmethod
    def create_from_cloudformation_json(cls, name, cloudformation_json, account_id, region_name, **kwargs):
        return cls(name, kwargs.get("ResourceType", "AWS::Unknown::Unknown"), account_id, region_name)

    @classmethod
    def has_cfn_attr(cls, attr):
        return True

    def get_cfn_attribute(self, attr):
        return self.arn if attr.endswith("Arn") else f"{self.physical_resource_id}-{attr.lower()}"

    @classmethod
    def update_from_cloudformation_json(cls, original, name, cloudformation_json, account_id, region_name):
        return original

    @classmethod
    def delete_from_cloudformation_json(cls, name, cloudformation_json, account_id, region_name):
        pass

    def is_created(self):
        return True

    def delete(self, account_id, region_name):
        pass


def unsupported_types_addressable():
    """A type moto cannot provision is skipped, so a `Ref` to it is dropped and an `Fn::GetAtt`
    fails the whole stack ("references undefined resource"). Here it stands in as a placeholder:
    its `Ref` is its generated name and an attribute a name or ARN made from it, so that the
    template's other resources and its outputs come out as on AWS (the values are made up)."""
    from moto.cloudformation import parsing

    resource_class_from_type = parsing.resource_class_from_type

    def patched(resource_type):
        if resource_type in parsing.NULL_MODELS:
            return None
        return resource_class_from_type(resource_type) or Placeholder

    parsing.resource_class_from_type = patched


def security_group_ingress_from_prefix_list():
    """`AWS::EC2::SecurityGroupIngress` from a `SourcePrefixListId` alone (CloudFront's origin-facing
    prefix list) fails an assertion (HTTP 500): the rule is made with the prefix list."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.security_groups import SecurityGroupIngress

    create = SecurityGroupIngress.create_from_cloudformation_json.__func__

    def patched(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json.get("Properties", {})
        sources = ("CidrIp", "CidrIpv6", "SourceSecurityGroupId", "SourceSecurityGroupName")
        if "SourcePrefixListId" not in p or any(k in p for k in sources):
            return create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        ec2 = ec2_backends[account_id][region_name]
        group = ec2.describe_security_groups(group_ids=[p["GroupId"]])[0]
        ec2.authorize_security_group_ingress(
            group_name_or_id=group.id, ip_protocol=p["IpProtocol"], from_port=p.get("FromPort"),
            to_port=p.get("ToPort"), ip_ranges=[], prefix_list_ids=[{"PrefixListId": p["SourcePrefixListId"]}])
        return cls(group, p)

    SecurityGroupIngress.create_from_cloudformation_json = classmethod(patched)


def hosted_zone_ids_as_aws():
    """Hosted zone ids are 22 random characters; AWS's start with `Z`, and haplat checks it."""
    from moto.route53 import models

    create_id = models.create_route53_zone_id
    models.create_route53_zone_id = lambda *args, **kwargs: "Z" + create_id(*args, **kwargs)[1:]


def sqs_queue_url_attribute():
    """`AWS::SQS::Queue` has no `Fn::GetAtt` `QueueUrl` (the template fails); it is the queue's
    `Ref`."""
    from moto.sqs.models import Queue

    has_attr = Queue.has_cfn_attr.__func__
    get_attr = Queue.get_cfn_attribute
    Queue.has_cfn_attr = classmethod(lambda cls, attr: attr == "QueueUrl" or has_attr(cls, attr))
    Queue.get_cfn_attribute = lambda self, attr: self.physical_resource_id if attr == "QueueUrl" else get_attr(self, attr)


def aurora_instances_join_their_cluster():
    """An `AWS::RDS::DBInstance` of an Aurora cluster (`DBClusterIdentifier`, no `EngineVersion`)
    is made as a standalone instance, which has no default version for Aurora engines (HTTP 400):
    it joins its cluster, with the cluster's version, as on AWS; a placeholder when the cluster
    is one."""
    from moto.rds.models import DBInstance, rds_backends

    create = DBInstance.create_from_cloudformation_json.__func__

    def patched(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json.get("Properties", {})
        if not p.get("DBClusterIdentifier"):
            return create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        rds = rds_backends[account_id][region_name]
        cluster = rds.clusters.get(p["DBClusterIdentifier"])
        if cluster is None:  # a cluster moto does not provision (AWS::RDS::DBCluster)
            return Placeholder(resource_name, "AWS::RDS::DBInstance", account_id, region_name)
        return rds.create_db_instance({
            "db_instance_identifier": resource_name.replace("_", "-"),
            "db_cluster_identifier": cluster.db_cluster_identifier,
            "db_instance_class": p.get("DBInstanceClass"),
            "engine": p.get("Engine", cluster.engine),
            "engine_version": p.get("EngineVersion", cluster.engine_version),
            "tags": p.get("Tags"),
        })

    DBInstance.create_from_cloudformation_json = classmethod(patched)


def route_tables_deleted_with_their_stack():
    """An `AWS::EC2::RouteTable` is never deleted with its stack (no delete, and its subnet
    associations are never removed), so the VPC's deletion fails: DependencyViolation."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.route_tables import RouteTable

    def delete(self, account_id, region_name):
        ec2 = ec2_backends[account_id][region_name]
        for association in list(self._associations):
            ec2.disassociate_route_table(association)
        ec2.delete_route_table(self.id)

    RouteTable.delete = delete


def stack_set_capabilities_kept():
    """A stack set's `Capabilities` are dropped on create and update, so `DescribeStackSet` never
    shows `CAPABILITY_NAMED_IAM` and a stack set with IAM resources looks changed at every deploy."""
    from moto.cloudformation.responses import CloudFormationResponse

    def keeping(action):
        def patched(self):
            result = action(self)
            capabilities = self._get_param("Capabilities", None)
            if capabilities is not None:
                self.cloudformation_backend.describe_stack_set(self._get_param("StackSetName")).capabilities = capabilities
            return result

        return patched

    CloudFormationResponse.create_stack_set = keeping(CloudFormationResponse.create_stack_set)
    CloudFormationResponse.update_stack_set = keeping(CloudFormationResponse.update_stack_set)

def stack_set_updates_reach_instance_stacks():
    """`UpdateStackSet` and `UpdateStackInstances` change the stack set's record only: every
    instance's stack keeps the template and parameters it was created with, every instance says
    CURRENT, and `UpdateStackSet` replaces each instance's parameter overrides with the stack
    set's values. As on AWS, a change of template or parameters now makes every instance OUTDATED
    until its stack is updated, the accounts and regions the call names (all, when it names none)
    get their stacks updated, and instances keep their overrides."""
    from moto.cloudformation.models import StackInstance, StackSet

    update, update_instances, to_dict = StackSet.update, StackSet.update_instances, StackInstance.to_dict

    def values(parameters):
        if isinstance(parameters, dict):
            return dict(parameters)
        return {p["ParameterKey"]: p["ParameterValue"] for p in parameters or [] if "ParameterValue" in p}

    def refresh(self, accounts, regions):
        self.instances.template = self.template
        for instance in self.instances.stack_instances:
            if accounts is None or (instance.account_id in accounts and instance.region_name in regions):
                instance.template = self.template
                wanted = {**values(self.parameters), **values(instance.parameters)}
                instance.stack.update(self.template, parameters=wanted)
                instance.outdated = False

    def updating_instances(self, accounts, regions, parameters):
        result = update_instances(self, accounts, regions, parameters)
        # From UpdateStackSet, moto gives each instance the stack set's values: it keeps its own.
        for instance in self.instances.stack_instances:
            kept = getattr(self, "overrides_kept", {}).get((instance.account_id, instance.region_name))
            if kept is not None:
                instance.parameters = kept
        refresh(self, accounts, regions)
        return result

    def updating(self, template, description, parameters, tags, admin_role, execution_role, accounts, regions,
                 operation_id):
        changed = (template and template != self.template) or (parameters and parameters != self.parameters)
        if changed:
            for instance in self.instances.stack_instances:
                instance.outdated = True
        self.overrides_kept = {(i.account_id, i.region_name): i.parameters for i in self.instances.stack_instances}
        try:
            result = update(self, template, description, parameters, tags, admin_role, execution_role, accounts,
                            regions, operation_id)
        finally:
            self.overrides_kept = {}
        if changed and not (accounts and regions):
            refresh(self, None, None)
        return result

    def status(self):
        d = to_dict(self)
        if getattr(self, "outdated", False):
            d["Status"] = "OUTDATED"
        return d

    StackSet.update = updating
    StackSet.update_instances = updating_instances
    StackInstance.to_dict = status


def conditional_writes_atomic():
    """`PutObject` with `If-None-Match: *` checks that the object is absent, then writes it, with
    nothing between to stop another request's thread: two simultaneous writes of a new object can
    both succeed, so two runs could both take the app's lock in the bootstrap bucket."""
    import threading

    from moto.s3.responses import S3Response

    lock = threading.Lock()
    put_object = S3Response.put_object

    def patched(self):
        with lock:
            return put_object(self)

    S3Response.put_object = patched


PATCHES = [
    kms_key_tags_from_cloudformation,
    ssm_parameter_tags_from_cloudformation,
    fn_cidr,
    global_table_and_secret_outputs,
    stack_instance_stacks_named_as_aws,
    target_group_attributes,
    acm_certificate,
    unsupported_types_addressable,
    security_group_ingress_from_prefix_list,
    hosted_zone_ids_as_aws,
    sqs_queue_url_attribute,
    aurora_instances_join_their_cluster,
    route_tables_deleted_with_their_stack,
    stack_set_capabilities_kept,
    stack_set_updates_reach_instance_stacks,
    conditional_writes_atomic,
]


def pool(serve):
    """Forks a server for each request on stdin (see the module's documentation)."""
    import os
    import signal

    # Servers are reaped as they end; the pool never waits on one.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    children = []
    for line in sys.stdin:
        try:
            port, lifetime, log = line.rstrip("\n").split(" ", 2)
            port, lifetime = int(port), int(lifetime)
        except ValueError:
            print(f"launch.py --pool: want `PORT LIFETIME LOG`, got {line!r}", file=sys.stderr)
            return 2
        pid = os.fork()
        if pid == 0:
            # The server: a new process group (so that the pool's end can stop it), its output to
            # its log, no stdin, and SIGALRM (whose default ends the process) after its lifetime.
            os.setpgid(0, 0)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(out, 1)
            os.dup2(out, 2)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            signal.alarm(lifetime)
            try:
                serve(["-H", "127.0.0.1", "-p", str(port)])
            finally:
                os._exit(0)
        children.append(pid)
        print(pid, flush=True)
    for pid in children:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    return 0


def main():
    found = version("moto")
    if found != PINNED:
        print(f"launch.py: moto {found} is not {PINNED}, the version its patches were written for: "
              "re-check each patch against it, then change PINNED", file=sys.stderr)
        return 2
    for patch in PATCHES:
        patch()
    from moto.server import main as serve

    if sys.argv[1:] == ["--pool"]:
        return pool(serve)
    serve(sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
