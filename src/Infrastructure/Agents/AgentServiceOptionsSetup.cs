using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Wrapper.Application.Grounding;

namespace Wrapper.Infrastructure.Agents;

/// <summary>Fills <see cref="AgentServiceOptions"/> from configuration: the <c>AgentService</c> and <c>Agents</c>
/// sections, then the original environment variable names, which win. An empty value counts as unset; a malformed
/// endpoint or number is recorded and reported by <see cref="AgentServiceOptionsValidator"/> with its key. The
/// simulated-mode settings are never read from configuration.</summary>
public sealed class AgentServiceOptionsSetup : IConfigureOptions<AgentServiceOptions>
{
    /// <summary>The project endpoint (the original service's variable).</summary>
    public const string EndpointKey = "AZURE_AI_PROJECT_ENDPOINT";

    /// <summary>The Bing grounding agent's id (the original service's variable).</summary>
    public const string AgentIdKey = "AZURE_AI_AGENT_ID";

    private readonly IConfiguration _configuration;

    public AgentServiceOptionsSetup(IConfiguration configuration) => _configuration = configuration;

    public void Configure(AgentServiceOptions options)
    {
        var section = _configuration.GetSection(AgentServiceOptions.SectionName);
        if (Text(section["Endpoint"]) is { } sectionEndpoint)
        {
            SetEndpoint(options, sectionEndpoint);
        }

        if (Text(section["ApiVersion"]) is { } apiVersion)
        {
            options.ApiVersion = apiVersion;
        }

        Number(section, nameof(AgentServiceOptions.RunDeadlineSeconds), options, v => options.RunDeadlineSeconds = v);
        Number(section, nameof(AgentServiceOptions.FirstPollDelayMs), options, v => options.FirstPollDelayMs = (int)v, whole: true);
        Number(section, nameof(AgentServiceOptions.MaxPollDelayMs), options, v => options.MaxPollDelayMs = (int)v, whole: true);
        Number(section, nameof(AgentServiceOptions.RequestTimeoutSeconds), options, v => options.RequestTimeoutSeconds = v);
        Number(section, nameof(AgentServiceOptions.MaxRetries), options, v => options.MaxRetries = (int)v, whole: true);
        Number(section, nameof(AgentServiceOptions.RetryBaseDelayMs), options, v => options.RetryBaseDelayMs = (int)v, whole: true);
        Number(section, nameof(AgentServiceOptions.MaxRetryDelaySeconds), options, v => options.MaxRetryDelaySeconds = v);
        Number(section, nameof(AgentServiceOptions.CleanupTimeoutSeconds), options, v => options.CleanupTimeoutSeconds = v);

        foreach (var agent in _configuration.GetSection(AgentServiceOptions.AgentsSectionName).GetChildren())
        {
            if (Text(agent[nameof(AgentDefinition.AgentId)]) is { } id)
            {
                options.Agents[agent.Key] = new AgentDefinition { AgentId = id };
            }
        }

        // The original variable names win over the sections.
        if (Value(EndpointKey) is { } endpoint)
        {
            SetEndpoint(options, endpoint);
        }

        if (Value(AgentIdKey) is { } agentId)
        {
            options.Agents[AskGroundedQuestion.AgentName] = new AgentDefinition { AgentId = agentId };
        }
    }

    private static void SetEndpoint(AgentServiceOptions options, string endpoint)
    {
        options.Endpoint = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : null;
        options.EndpointError = options.Endpoint is null ? endpoint : null;
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>Reads a number; an unparsable one is recorded for <see cref="AgentServiceOptionsValidator"/>, which
    /// fails the start naming the key.</summary>
    private static void Number(IConfigurationSection section, string key, AgentServiceOptions options, Action<double> set, bool whole = false)
    {
        if (Text(section[key]) is not { } text)
        {
            return;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            && Math.Abs(number) < 1e9 && (!whole || number == Math.Floor(number)))
        {
            set(number);
        }
        else
        {
            options.BindingErrors.Add($"{AgentServiceOptions.SectionName}:{key} must be {(whole ? "a whole number" : "a number")}, got '{text}'.");
        }
    }

    private string? Value(string key)
    {
        var value = _configuration[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }
}
