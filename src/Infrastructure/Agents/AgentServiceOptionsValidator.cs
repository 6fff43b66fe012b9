using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Wrapper.Infrastructure.Agents;

/// <summary>Checks <see cref="AgentServiceOptions"/> at start; every message names the setting to fix (values that are not
/// numbers at all are reported by <see cref="Configuration.AliasedBinding{TOptions}"/>). No endpoint is valid (the agent
/// endpoints then answer 503 and /health reports <c>not_configured</c>).</summary>
public sealed partial class AgentServiceOptionsValidator : IValidateOptions<AgentServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentServiceOptions options)
    {
        var errors = new List<string>();
        if (options.Endpoint is { IsAbsoluteUri: false })
        {
            errors.Add($"{AgentServiceOptions.EndpointKey} must be an absolute https URL, e.g. " +
                       "https://my-resource.services.ai.azure.com/api/projects/my-project.");
        }
        else if (options.Endpoint is { } endpoint && endpoint is not { Scheme: "https", Host.Length: > 0 })
        {
            // Azure.Core's bearer-token policy refuses to send a token over plain http.
            errors.Add($"{AgentServiceOptions.EndpointKey} must be an https URL (bearer tokens are never sent over http).");
        }

        if (string.IsNullOrWhiteSpace(options.ApiVersion) || !Token().IsMatch(options.ApiVersion))
        {
            errors.Add($"{AgentServiceOptions.SectionName}:ApiVersion must be an api-version such as v1 or 2025-05-01.");
        }

        foreach (var (agent, definition) in options.Agents)
        {
            if (!Token().IsMatch(agent))
            {
                errors.Add($"{AgentServiceOptions.AgentsSectionName}:{agent}: agent names may contain only letters, digits, '-', '_' and '.'.");
            }

            if (definition.AgentId is { } id && !string.IsNullOrWhiteSpace(id) && !Token().IsMatch(id.Trim()))
            {
                errors.Add($"{AgentServiceOptions.AgentsSectionName}:{agent}:AgentId must be an agent id such as asst_abc123 " +
                           $"(letters, digits, '-', '_', '.').");
            }
        }

        Range(errors, "RunDeadlineSeconds", options.RunDeadlineSeconds, 0.1, 3600);
        Range(errors, "FirstPollDelayMs", options.FirstPollDelayMs, 1, 60_000);
        Range(errors, "MaxPollDelayMs", options.MaxPollDelayMs, Math.Max(1, options.FirstPollDelayMs), 60_000);
        Range(errors, "RequestTimeoutSeconds", options.RequestTimeoutSeconds, 0.1, 600);
        Range(errors, "MaxRetries", options.MaxRetries, 0, 10);
        Range(errors, "RetryBaseDelayMs", options.RetryBaseDelayMs, 0, 10_000);
        Range(errors, "MaxRetryDelaySeconds", options.MaxRetryDelaySeconds, 0, 60);
        Range(errors, "CleanupTimeoutSeconds", options.CleanupTimeoutSeconds, 0.1, 300);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string key, double value, double min, double max)
    {
        if (!double.IsFinite(value) || value < min || value > max)
        {
            errors.Add($"{AgentServiceOptions.SectionName}:{key} must be between {min} and {max}.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex Token();
}
