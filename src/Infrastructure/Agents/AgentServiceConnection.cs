using Azure.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Wrapper.Infrastructure.Agents;

/// <summary>The process's one <see cref="AgentServiceClient"/>, or none when no Agent Service is configured. Real Azure
/// is called with the shared <see cref="TokenCredential"/> (DefaultAzureCredential); the simulator with
/// <see cref="StaticTokenCredential"/> and its expected token.</summary>
public sealed class AgentServiceConnection : IDisposable
{
    public AgentServiceConnection(IOptions<AgentServiceOptions> options, Func<TokenCredential> azureCredential, ILoggerFactory loggerFactory)
    {
        var value = options.Value;
        Simulated = value.Simulated;
        if (value.Endpoint is null)
        {
            return;
        }

        var credential = value.Simulated ? new StaticTokenCredential(value.SimulatorToken!) : azureCredential();
        Client = new AgentServiceClient(value, credential, loggerFactory);
        loggerFactory.CreateLogger<AgentServiceConnection>().LogInformation(
            "Agent Service at {Endpoint} ({Mode}), api-version {ApiVersion}, agents {Agents}",
            value.Endpoint, value.Simulated ? "simulated" : "Entra ID, DefaultAzureCredential", value.ApiVersion,
            string.Join(", ", value.Agents.Select(a => $"{a.Key}={a.Value.AgentId ?? "(not set)"}")));
    }

    /// <summary>The client, or null when no endpoint is configured.</summary>
    public AgentServiceClient? Client { get; }

    /// <summary>True when the endpoint is the simulator.</summary>
    public bool Simulated { get; }

    public void Dispose() => Client?.Dispose();
}
