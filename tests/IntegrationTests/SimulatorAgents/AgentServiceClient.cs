using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>A raw Agent Service client for the tests: https, trusting exactly the simulator's certificate.</summary>
internal sealed class AgentServiceClient : IDisposable
{
    public const string ProjectPath = "api/projects/sim-project/";

    private readonly HttpClient _http;

    public AgentServiceClient(SimulatorServer server, string? token, string basePath = ProjectPath, string? apiVersion = "v1")
    {
        var expected = server.Certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetCertHashString(HashAlgorithmName.SHA256) == expected,
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri(server.HttpsAddress, basePath), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        ApiVersion = apiVersion;
    }

    public string? ApiVersion { get; }

    public Task<Reply> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<Reply> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    public Task<Reply> PostAsync(string path, object? body = null) =>
        SendAsync(HttpMethod.Post, path, body is null ? null : JsonSerializerFor(body));

    public Task<Reply> PostRawAsync(string path, string body) => SendAsync(HttpMethod.Post, path, body);

    public async Task<Reply> SendAsync(HttpMethod method, string path, string? json = null)
    {
        var separator = path.Contains('?') ? '&' : '?';
        var url = ApiVersion is null ? path : $"{path}{separator}api-version={ApiVersion}";
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, response.Headers, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>Posts <paramref name="body"/> and reads the answer as text (for event streams).</summary>
    public async Task<(HttpStatusCode Status, string? ContentType, string Text)> PostForTextAsync(string path, object body)
    {
        var separator = path.Contains('?') ? '&' : '?';
        var url = ApiVersion is null ? path : $"{path}{separator}api-version={ApiVersion}";
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(JsonSerializerFor(body), Encoding.UTF8, "application/json"),
        };
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Creates a thread with one user message, runs <paramref name="agentId"/> and polls to a terminal status.</summary>
    public async Task<(string ThreadId, JsonNode Run)> AskAsync(string agentId, string question)
    {
        var thread = await PostAsync("threads", new { messages = new[] { new { role = "user", content = question } } });
        thread.EnsureOk();
        var threadId = thread.Id;
        var run = await PostAsync($"threads/{threadId}/runs", new { assistant_id = agentId });
        run.EnsureOk();
        return (threadId, await PollAsync(threadId, run.Id));
    }

    /// <summary>Polls a run until its status is terminal (guarded by a generous deadline, not a timing assertion).</summary>
    public async Task<JsonNode> PollAsync(string threadId, string runId, Func<string, bool>? until = null)
    {
        until ??= status => status is "completed" or "failed" or "cancelled" or "expired" or "incomplete";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var run = await GetAsync($"threads/{threadId}/runs/{runId}");
            run.EnsureOk();
            if (until(run.Body!["status"]!.GetValue<string>()))
            {
                return run.Body!;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Run {runId} did not reach the expected status; last: {run.Body}");
            }

            await Task.Delay(10);
        }
    }

    public void Dispose() => _http.Dispose();

    private static string JsonSerializerFor(object body) => System.Text.Json.JsonSerializer.Serialize(body);

    public sealed record Reply(HttpStatusCode Status, HttpResponseHeaders Headers, JsonNode? Body)
    {
        public string Id => Body!["id"]!.GetValue<string>();

        public string? ErrorCode => Body?["error"]?["code"]?.GetValue<string>();

        public void EnsureOk() => Assert.That(Status, Is.EqualTo(HttpStatusCode.OK), () => $"Unexpected reply: {Body}");
    }
}
