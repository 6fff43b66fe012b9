using System.Text.Json.Serialization;

namespace Wrapper.Api.Contracts;

/// <summary><c>GET /health</c> when the model service answered with our credentials.</summary>
public sealed class HealthResponse
{
    /// <summary>Always <c>ok</c>.</summary>
    /// <example>ok</example>
    [JsonPropertyName("status")]
    public string Status { get; init; } = "ok";

    /// <summary><c>connected</c> when Azure OpenAI answered; <c>simulated</c> when answers come from the built-in
    /// (or a separately run) simulator instead of Azure.</summary>
    /// <example>connected</example>
    [JsonPropertyName("azure_openai")]
    public required string AzureOpenAi { get; init; }

    /// <summary>The Azure AI Foundry Agent Service (informational; it does not change the status code):
    /// <c>connected</c>, <c>simulated</c>, <c>not_configured</c>, <c>unauthorized</c>, <c>agent_not_found</c> or
    /// <c>unreachable</c>. Checked by reading the configured agents: no thread is created, no token spent.</summary>
    /// <example>connected</example>
    [JsonPropertyName("agent_service")]
    public string? AgentService { get; init; }
}

/// <summary><c>GET /health</c> when the model service could not be used. Never contains keys or tokens.</summary>
public sealed class HealthErrorResponse
{
    /// <summary>Always <c>error</c>.</summary>
    /// <example>error</example>
    [JsonPropertyName("status")]
    public string Status { get; init; } = "error";

    /// <summary>What failed: <c>authentication_failed</c> (401), <c>rate_limited</c> (429),
    /// <c>service_unavailable</c> or <c>timeout</c> (503), <c>deployment_not_found</c>, <c>upstream_error</c>
    /// or <c>internal_error</c> (500).</summary>
    /// <example>authentication_failed</example>
    [JsonPropertyName("error")]
    public required string Error { get; init; }

    /// <summary>A short human summary.</summary>
    /// <example>Azure OpenAI rejected the configured credentials.</example>
    [JsonPropertyName("message")]
    public required string Message { get; init; }

    /// <summary>A safe description of the upstream answer (status, reason). Never contains keys or tokens.</summary>
    /// <example>Azure OpenAI refused our credentials (401).</example>
    [JsonPropertyName("details")]
    public required string Details { get; init; }
}
