using Azure.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Wrapper.Infrastructure.Agents;

/// <summary>The process's one <see cref="AgentServiceClient"/>, or none when no Agent Service endpoint is configured.
/// The client authenticates with the credential it is given: the one registered under
/// <see cref="AgentServiceCollectionExtensions.CredentialKey"/>, else the shared one (DefaultAzureCredential).</summary>
public sealed class OptionalAgentServiceClient : IDisposable
{
    public OptionalAgentServiceClient(IOptions<AgentServiceOptions> options, Func<TokenCredential> credential, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var value = options.Value;
        if (value.Endpoint is null)
        {
            return;
        }

        var token = credential();
        Client = new AgentServiceClient(value, token, loggerFactory);
        loggerFactory.CreateLogger<OptionalAgentServiceClient>().LogInformation(
            "Agent Service at {Endpoint} ({Credential}), api-version {ApiVersion}, agents {Agents}",
            value.Endpoint, token is Azure.Identity.DefaultAzureCredential ? "Entra ID, DefaultAzureCredential" : token.GetType().Name,
            value.ApiVersion, string.Join(", ", value.Agents.Keys.Select(name => value.TargetOf(name) is { } target
                ? target.Protocol == Wrapper.Domain.Agents.AgentProtocol.Classic
                    ? $"{name}={target.Reference} (classic)"
                    : $"{name}={target.Reference}{(target.Version is null ? "" : $":{target.Version}")} (responses)"
                : $"{name}=(not set)")));
    }

    /// <summary>The client, or null when no endpoint is configured.</summary>
    public AgentServiceClient? Client { get; }

    public void Dispose() => Client?.Dispose();
}
