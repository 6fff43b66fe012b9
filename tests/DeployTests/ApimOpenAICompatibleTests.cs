using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Wrapper.DeployTests;

/// <summary>
/// The OpenAI-compatible face and the agents behind API Management (deploy/README.md, "OpenAI-compatible clients
/// through APIM"): the API has an operation for each of their routes, with its template parameters; the subscription
/// key travels in the header the Azure OpenAI SDKs send their key in; every policy keeps the caller's credentials at the
/// gateway and relays streams unbuffered; and the new agent and model settings reach the instances.
/// </summary>
[TestFixture]
public class ApimOpenAICompatibleTests
{
    private static readonly Lazy<Task<JsonDocument>> ApiTemplate = new(async () =>
    {
        var result = await BicepCli.RunAsync(null, "build", "--no-restore", "--stdout", "modules/apim-api.bicep");
        Assert.That(result.ExitCode, Is.Zero, result.StandardError);
        return JsonDocument.Parse(result.StandardOutput);
    });

    private static readonly Lazy<Task<JsonDocument>> MainTemplate = new(async () =>
    {
        var result = await BicepCli.RunAsync(null, "build", "--no-restore", "--stdout", "main.bicep");
        Assert.That(result.ExitCode, Is.Zero, result.StandardError);
        return JsonDocument.Parse(result.StandardOutput);
    });

    public static IEnumerable<TestCaseData> RoutingPolicies() =>
        new[] { "apim-policy.xml", "apim-policy-with-healthcheck.xml", "apim-policy-native-pool.xml" }
            .Select(file => new TestCaseData(Path.Combine(DeployPaths.ApimDirectory, file)).SetArgDisplayNames(file));

    private static IEnumerable<JsonElement> Resources(JsonDocument template)
    {
        var resources = template.RootElement.GetProperty("resources");
        return resources.ValueKind == JsonValueKind.Object
            ? resources.EnumerateObject().Select(resource => resource.Value).ToList()
            : resources.EnumerateArray().ToList();
    }

    private static async Task<List<JsonElement>> OperationsAsync()
    {
        var template = await ApiTemplate.Value;
        return template.RootElement.GetProperty("variables").GetProperty("operations").EnumerateArray().ToList();
    }

    [TestCase("POST", "/openai/v1/chat/completions")]
    [TestCase("POST", "/openai/deployments/{deployment}/chat/completions")]
    [TestCase("GET", "/openai/v1/models")]
    [TestCase("GET", "/openai/v1/models/{model}")]
    [TestCase("GET", "/openai/models")]
    [TestCase("POST", "/agents/{name}")]
    [TestCase("POST", "/bing-grounding")]
    [TestCase("POST", "/chat")]
    public async Task The_API_has_an_operation_for_the_route(string method, string urlTemplate)
    {
        var operations = await OperationsAsync();

        Assert.That(
            operations.Where(o => o.GetProperty("method").GetString() == method && o.GetProperty("urlTemplate").GetString() == urlTemplate),
            Has.Exactly(1).Items);
    }

    [Test]
    public async Task Every_operation_declares_exactly_the_template_parameters_of_its_URL()
    {
        var operations = await OperationsAsync();

        Assert.Multiple(() =>
        {
            Assert.That(operations.Select(o => o.GetProperty("name").GetString()), Is.Unique);
            foreach (var operation in operations)
            {
                var placeholders = Regex.Matches(operation.GetProperty("urlTemplate").GetString()!, @"\{(?<name>[^}]+)\}").Select(m => m.Groups["name"].Value);
                var declared = operation.GetProperty("templateParameters").EnumerateArray().ToList();
                Assert.That(declared.Select(p => p.GetProperty("name").GetString()), Is.EquivalentTo(placeholders), operation.GetProperty("name").GetString());
                Assert.That(declared.Select(p => p.GetProperty("required").GetBoolean()), Is.All.True, "a path parameter is always required");
            }
        });

        var resource = Resources(await ApiTemplate.Value)
            .Single(r => r.GetProperty("type").GetString() == "Microsoft.ApiManagement/service/apis/operations" && r.TryGetProperty("copy", out _));
        Assert.That(resource.GetProperty("properties").GetProperty("templateParameters").GetString(), Does.Contain("templateParameters"), "the operations resource passes them on");
    }

    [Test]
    public async Task The_deployments_route_documents_api_version_as_a_query_parameter()
    {
        var deployments = (await OperationsAsync()).Single(o => o.GetProperty("urlTemplate").GetString() == "/openai/deployments/{deployment}/chat/completions");

        var query = deployments.GetProperty("queryParameters").EnumerateArray().Select(p => p.GetProperty("name").GetString());
        Assert.That(query, Is.EquivalentTo(new[] { "api-version" }));
        Assert.That(deployments.GetProperty("urlTemplate").GetString(), Does.Not.Contain("?"), "the version is not part of the match: the service answers a missing one as Azure does");
    }

    [Test]
    public async Task The_subscription_key_is_read_from_api_key_as_the_Azure_OpenAI_SDKs_send_it()
    {
        var api = Resources(await ApiTemplate.Value)
            .Single(r => r.GetProperty("type").GetString() == "Microsoft.ApiManagement/service/apis" && !r.TryGetProperty("condition", out _));

        var names = api.GetProperty("properties").GetProperty("subscriptionKeyParameterNames");
        Assert.Multiple(() =>
        {
            Assert.That(api.GetProperty("properties").GetProperty("subscriptionRequired").GetBoolean(), Is.True);
            Assert.That(names.GetProperty("header").GetString(), Is.EqualTo("api-key"));
        });
    }

    [TestCaseSource(nameof(RoutingPolicies))]
    public void Every_routing_policy_keeps_the_callers_credentials_and_relays_streams_unbuffered(string path)
    {
        var root = XDocument.Load(path).Root!;
        var deleted = root.Element("inbound")!.Elements("set-header")
            .Where(h => h.Attribute("exists-action")?.Value == "delete")
            .Select(h => h.Attribute("name")!.Value)
            .ToList();
        var forwards = root.Descendants("forward-request").ToList();

        Assert.Multiple(() =>
        {
            // The OpenAI SDKs send the key as Authorization: Bearer, the Azure OpenAI SDKs as api-key: neither reaches
            // an instance, which gets the backend entity's own api-key instead.
            Assert.That(deleted, Is.SupersetOf(new[] { "api-key", "Authorization", "Ocp-Apim-Subscription-Key", "X-APIM-Subscription-Id", "X-APIM-Product-Id" }));
            Assert.That(forwards, Is.Not.Empty);
            Assert.That(forwards.Select(f => f.Attribute("buffer-response")?.Value), Is.All.EqualTo("false"), "server-sent events are relayed as they come");
            // Policies that buffer or cache whole responses would hold a stream back (learn.microsoft.com,
            // api-management/how-to-server-sent-events).
            Assert.That(root.Descendants().Select(e => e.Name.LocalName), Has.None.AnyOf("validate-content", "cache-store", "cache-lookup"));
        });
    }

    [Test]
    public async Task Gateway_telemetry_logs_no_body_so_streams_are_not_buffered_for_it()
    {
        var diagnostics = Resources(await ApiTemplate.Value)
            .Single(r => r.GetProperty("type").GetString() == "Microsoft.ApiManagement/service/apis/diagnostics")
            .GetProperty("properties");

        var bytes = new[] { "frontend", "backend" }
            .SelectMany(side => new[] { "request", "response" }.Select(part => diagnostics.GetProperty(side).GetProperty(part).GetProperty("body").GetProperty("bytes").GetInt32()));
        Assert.That(bytes, Is.All.Zero);
    }

    [Test]
    public async Task Main_template_takes_the_new_agent_agents_and_model_map_as_optional_parameters()
    {
        var parameters = (await MainTemplate.Value).RootElement.GetProperty("parameters");

        Assert.Multiple(() =>
        {
            foreach (var name in new[] { "aiAgentName", "aiAgentVersion", "agents", "openAiCompatibleModels" })
            {
                Assert.That(parameters.TryGetProperty(name, out var parameter), Is.True, name);
                Assert.That(parameter.TryGetProperty("defaultValue", out _), Is.True, $"{name} is optional");
            }
        });
        var main = File.ReadAllText(Path.Combine(DeployPaths.BicepDirectory, "main.bicep"));
        Assert.That(main, Does.Contain("aiAgentName: aiAgentName").And.Contain("aiAgentVersion: aiAgentVersion")
            .And.Contain("agents: agents").And.Contain("openAiCompatibleModels: openAiCompatibleModels"), "passed to the container apps");
    }

    [Test]
    public void The_instances_get_the_configuration_names_the_service_reads()
    {
        var apps = File.ReadAllText(Path.Combine(DeployPaths.BicepDirectory, "modules", "container-apps.bicep"));

        Assert.Multiple(() =>
        {
            Assert.That(apps, Does.Match(@"AZURE_AI_AGENT_NAME:\s*aiAgentName"));
            Assert.That(apps, Does.Match(@"AZURE_AI_AGENT_VERSION:\s*aiAgentVersion"));
            foreach (var field in new[] { "AgentId", "AgentName", "AgentVersion", "Protocol" })
            {
                Assert.That(apps, Does.Contain($"'Agents__${{agent.key}}__{field}'"), field);
            }

            Assert.That(apps, Does.Contain("'OpenAICompatible__Models__${model.key}'"));
        });
    }

    [Test]
    public async Task Parameters_file_reads_agents_and_models_as_JSON_from_the_environment()
    {
        var environment = new Dictionary<string, string>
        {
            ["AZURE_CONTAINER_REGISTRY"] = "wrapperregistry",
            ["WRAPPER_IMAGE"] = "wrapper-api:test",
            ["WRAPPER_BACKEND_API_KEY"] = "backend-key-for-tests",
            ["APIM_PUBLISHER_EMAIL"] = "platform@example.com",
            ["AZURE_AI_AGENT_NAME"] = "my-bing-agent",
            ["AZURE_AI_AGENT_VERSION"] = "2",
            ["WRAPPER_AGENTS"] = """{"plain":{"agentId":"asst_def456"},"team-search":{"agentName":"team-search","agentVersion":"3","protocol":"responses"}}""",
            ["OPENAI_COMPATIBLE_MODELS"] = """{"gpt-4.1":"gpt-41-prod"}""",
        };

        var result = await BicepCli.RunAsync(environment, "build-params", "--stdout", "main.bicepparam");

        Assert.That(result.Problems, Is.Empty);
        Assert.That(result.ExitCode, Is.Zero, result.StandardError);
        using var output = JsonDocument.Parse(result.StandardOutput);
        using var parameters = JsonDocument.Parse(output.RootElement.GetProperty("parametersJson").GetString()!);
        var values = parameters.RootElement.GetProperty("parameters");
        Assert.Multiple(() =>
        {
            Assert.That(values.GetProperty("aiAgentName").GetProperty("value").GetString(), Is.EqualTo("my-bing-agent"));
            Assert.That(values.GetProperty("aiAgentVersion").GetProperty("value").GetString(), Is.EqualTo("2"));
            Assert.That(values.GetProperty("agents").GetProperty("value").GetProperty("team-search").GetProperty("protocol").GetString(), Is.EqualTo("responses"));
            Assert.That(values.GetProperty("agents").GetProperty("value").GetProperty("plain").GetProperty("agentId").GetString(), Is.EqualTo("asst_def456"));
            Assert.That(values.GetProperty("openAiCompatibleModels").GetProperty("value").GetProperty("gpt-4.1").GetString(), Is.EqualTo("gpt-41-prod"));
        });
    }
}
