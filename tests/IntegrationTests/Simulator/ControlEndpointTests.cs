using System.Net;
using System.Net.Http.Json;
using System.Text;
using Wrapper.Simulator;
using static Wrapper.IntegrationTests.Simulator.SimulatorHttp;

namespace Wrapper.IntegrationTests.Simulator;

[TestFixture]
public sealed class ControlEndpointTests : SimulatorFixture
{
    [SetUp]
    public async Task ResetAsync()
    {
        using var faults = await Client.DeleteAsync("_simulator/faults");
        using var state = await Client.DeleteAsync("_simulator/state");
        Assert.That(faults.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(state.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task ShouldListPendingFaultsWithWhatIsLeftAndClearThem()
    {
        using var added = await Client.PostAsJsonAsync("_simulator/faults", new { status = 429, count = 3, retryAfterSeconds = 1 });
        using var latency = await Client.PostAsJsonAsync("_simulator/faults", new { latencyMs = 10, target = "agents" });
        using var used = await PostChatAsync(Client, Body("x"));

        var pending = (await ReadJsonAsync(await Client.GetAsync("_simulator/faults"))).EnumerateArray().ToList();
        Assert.That(used.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(pending, Has.Count.EqualTo(2));
        Assert.That(pending[0].GetProperty("status").GetInt32(), Is.EqualTo(429));
        Assert.That(pending[0].GetProperty("count").GetInt32(), Is.EqualTo(2));
        Assert.That(pending[1].GetProperty("target").GetString(), Is.EqualTo("agents"));

        using var cleared = await Client.DeleteAsync("_simulator/faults");
        var after = await ReadJsonAsync(await Client.GetAsync("_simulator/faults"));
        Assert.That(after.GetArrayLength(), Is.Zero);
        using var normal = await PostChatAsync(Client, Body("x"));
        Assert.That(normal.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("""{"status":200}""", "status")]
    [TestCase("""{"status":503,"count":0}""", "count")]
    [TestCase("""{"count":2}""", "status")]
    [TestCase("""{"status":503,"drop":true}""", "drop")]
    [TestCase("""{"latencyMs":-5}""", "latencyMs")]
    [TestCase("""{"status":503,"target":"billing"}""", "target")]
    public async Task ShouldRefuseAnInvalidFaultWithValidationProblemDetails(string json, string field)
    {
        using var response = await Client.PostAsync("_simulator/faults", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var problem = await ReadJsonAsync(response);
        Assert.That(problem.GetProperty("errors").TryGetProperty(field, out _), Is.True, problem.ToString());
        Assert.That(Server.Faults.Pending, Is.Empty);
    }

    [Test]
    public async Task ShouldRefuseMalformedFaultJsonWithProblemDetails()
    {
        using var response = await Client.PostAsync("_simulator/faults", new StringContent("{status:", Encoding.UTF8, "application/json"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await ReadJsonAsync(response)).GetProperty("status").GetInt32(), Is.EqualTo(400));
    }

    [Test]
    public async Task ShouldCountRequestsPerRouteAndStatus()
    {
        using var ok = await PostChatAsync(Client, Body("x"));
        using var denied = await PostChatAsync(Client, Body("x"), key: "wrong");
        using var missing = await PostChatAsync(Client, Body("x"), deployment: "nope");

        var state = await ReadJsonAsync(await Client.GetAsync("_simulator/state"));
        var route = state.GetProperty("requests").GetProperty("POST /openai/deployments/{deployment}/chat/completions");
        Assert.Multiple(() =>
        {
            Assert.That(state.GetProperty("totalRequests").GetInt64(), Is.EqualTo(3));
            Assert.That(route.GetProperty("200").GetInt64(), Is.EqualTo(1));
            Assert.That(route.GetProperty("401").GetInt64(), Is.EqualTo(1));
            Assert.That(route.GetProperty("404").GetInt64(), Is.EqualTo(1));
            Assert.That(state.GetProperty("deployments").GetProperty("gpt-4o").GetProperty("requestsInWindow").GetInt32(), Is.EqualTo(1));
            Assert.That(state.GetProperty("deployments").GetProperty("gpt-4o").GetProperty("tokensInWindow").GetInt32(), Is.GreaterThan(0));
            Assert.That(Server.Counters.Total, Is.EqualTo(3), "the control routes are not counted");
        });

        using var reset = await Client.DeleteAsync("_simulator/state");
        var after = await ReadJsonAsync(await Client.GetAsync("_simulator/state"));
        Assert.That(after.GetProperty("totalRequests").GetInt64(), Is.Zero);
    }
}
