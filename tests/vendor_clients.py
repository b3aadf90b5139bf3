"""Salesforce's and Marketo's own Python clients (simple-salesforce, marketorestpython) read and
write the simulated endpoints: run by tests/vendor_clients.sh against `tandem sim --profile
salesforce-marketo`. Exits non-zero (an assertion) if either cannot."""
import sys

from marketorestpython.client import MarketoClient
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce

base, token = sys.argv[1], sys.argv[2]


class PlainHttp(HTTPAdapter):
    """Both libraries build https URLs on the vendors' own hosts; the simulation speaks
    plain HTTP on loopback."""

    def send(self, request, **kwargs):
        request.url = request.url.replace("https://", "http://", 1)
        return super().send(request, **kwargs)


sf = Salesforce(instance_url=base, session_id=token, version="60.0")
sf.session.mount("https://", PlainHttp())
leads = sf.query_all("SELECT Id, Status, OwnerId, IsConverted FROM Lead")
assert leads["totalSize"] == len(leads["records"]) > 2000, leads["totalSize"]  # paged
history = sf.query("SELECT Id, LeadId, Field, OldValue, NewValue, CreatedDate FROM LeadHistory LIMIT 5")
assert history["records"] and history["records"][0]["Field"] in ("Status", "Owner"), history
lead = next(r["Id"] for r in leads["records"] if r["Status"] == "Open - Not Contacted")
assert sf.Lead.update(lead, {"Status": "Marketing Qualified"}) == 204
after = sf.query(f"SELECT Status FROM Lead WHERE Id = '{lead}'")["records"][0]["Status"]
assert after == "Marketing Qualified", after
print(f"simple-salesforce: {leads['totalSize']} leads over nextRecordsUrl, history, an update")

mc = MarketoClient("simulated", "tandem-sim", token)
mc.host = base
found = mc.execute(method="get_multiple_leads_by_filter_type", filterType="sfdcLeadId",
                   filterValues=[lead], fields=["id", "email", "sfdcLeadId"])
assert len(found) == 1 and found[0]["sfdcLeadId"] == lead, found
acts = mc.execute(method="get_lead_activities", activityTypeIds=["6", "104"],
                  sinceDatetime="2020-01-01T00:00:00Z", batchSize=300)
assert len(acts) > 300 and {a["activityTypeId"] for a in acts} <= {6, 104}, len(acts)  # paged
added = mc.execute(method="add_leads_to_list", listId=1001, id=[found[0]["id"]])
assert added[0]["status"] == "added", added
print(f"marketorestpython: lead by sfdcLeadId, {len(acts)} activities by paging token, list add")
