using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Simulator;

/// <summary>Talks to a <see cref="SimulatorServer"/> over real HTTP, the way an Azure OpenAI client does.</summary>
internal static class SimulatorHttp
{
    public const string ApiVersion = "2025-04-01-preview";

    public static readonly Tokenizer O200k = TiktokenTokenizer.CreateForModel("gpt-4o");

    public static HttpClient CreateClient(SimulatorServer server) => new() { BaseAddress = server.HttpAddress };

    /// <summary>An https client that trusts exactly the simulator's self-signed certificate.</summary>
    public static HttpClient CreateHttpsClient(SimulatorServer server)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.RawData.AsSpan().SequenceEqual(server.Certificate.RawData),
        };
        return new HttpClient(handler) { BaseAddress = server.HttpsAddress };
    }

    public static string ChatPath(string deployment = "gpt-4o", string? apiVersion = ApiVersion) =>
        $"openai/deployments/{deployment}/chat/completions" + (apiVersion is null ? string.Empty : $"?api-version={apiVersion}");

    public static JsonObject Body(string userMessage, string? system = null) => new()
    {
        ["messages"] = system is null
            ? new JsonArray(Message("user", userMessage))
            : new JsonArray(Message("system", system), Message("user", userMessage)),
    };

    public static JsonObject Message(string role, string content) => new() { ["role"] = role, ["content"] = content };

    public static Task<HttpResponseMessage> PostChatAsync(
        HttpClient client,
        JsonNode body,
        string deployment = "gpt-4o",
        string? key = "simulator-key",
        string? apiVersion = ApiVersion) =>
        PostRawAsync(client, ChatPath(deployment, apiVersion), body.ToJsonString(), key);

    public static Task<HttpResponseMessage> PostRawAsync(HttpClient client, string path, string json, string? key = "simulator-key")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Add("api-key", key);
        }

        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostWithBearerAsync(HttpClient client, JsonNode body, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ChatPath())
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client.SendAsync(request);
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : string.Empty;

    /// <summary>Prompt tokens as OpenAI counts them: 3 per message + role + content, 3 to prime the reply.</summary>
    public static int ExpectedPromptTokens(params (string Role, string Content)[] messages) =>
        3 + messages.Sum(m => 3 + O200k.CountTokens(m.Role) + O200k.CountTokens(m.Content));
}
