"""ha-webstack from Python: WebStack in active-active mode (one target group, one pool across
every AZ), three MySQL read replicas, scaling on CPU only.

    cd ../.. && npm ci && npm run build      # the component package: this repository, built
    cd examples/python
    pulumi package add ../..                 # generates sdks/ha-webstack (pulumi_ha_webstack)
    pulumi stack init dev && pulumi up

The argument names are the schema's in snake case; tests/multiLanguage.test.ts checks them (and
the enum members and outputs used here) against the schema built from the TypeScript sources.
"""

import pulumi
import pulumi_ha_webstack as ha_webstack

config = pulumi.Config()

web = ha_webstack.WebStack(
    "shop",
    mode=ha_webstack.Mode.ACTIVE_ACTIVE,
    algorithm=ha_webstack.Algorithm.LEAST_OUTSTANDING_REQUESTS,
    az_count=3,
    nat_gateways=ha_webstack.NatGatewayMode.PER_AZ,
    servers_per_pool=3,
    max_servers_per_pool=9,
    # 0 turns a scaling policy off (in TypeScript before 0.3: false).
    scale_on_requests_per_target=0,
    scale_on_cpu_percent=50,
    replica_count=3,
    alert_email=config.get("alertEmail"),
    tags={"Team": "shop"},
)

pulumi.export("url", web.url)
pulumi.export("mode", web.mode)
pulumi.export("db_writer_endpoint", web.db_writer_endpoint)
pulumi.export("db_reader_endpoints", web.db_reader_endpoints)
pulumi.export("dashboard_url", web.dashboard_url)
