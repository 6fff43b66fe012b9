using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Wrapper.Api.Errors;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Api.Mcp;

/// <summary>The one place where tool failures become MCP tool errors (<c>isError: true</c>), with the same codes
/// as the REST ProblemDetails (<see cref="UpstreamProblem.For"/>).</summary>
public static class McpToolErrors
{
    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(
        McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (request, cancellationToken) =>
        {
            try
            {
                return await next(request, cancellationToken);
            }
            catch (ValidationException validation)
            {
                var details = string.Join("; ", validation.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")));
                return Error(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, $"{ValidationProblems.Title} {details}");
            }
            catch (ClientQuotaExceededException quota)
            {
                var status = quota.Limit == Wrapper.Application.Quotas.QuotaLimit.TokenQuota ? StatusCodes.Status403Forbidden : StatusCodes.Status429TooManyRequests;
                return Error(status, Wrapper.Infrastructure.Telemetry.QuotaCodes.For(quota.Limit),
                    $"{quota.Message} Retry after {Math.Max(1, (long)Math.Ceiling(quota.RetryAfter.TotalSeconds))} s.");
            }
            catch (ThreadNotFoundException threadNotFound)
            {
                return Error(StatusCodes.Status404NotFound, ProblemCodes.ThreadNotFound, $"No such conversation thread: {threadNotFound.Message}");
            }
            catch (UpstreamException upstream)
            {
                var mapping = UpstreamProblem.For(upstream.Failure);
                var retry = UpstreamProblem.RetryAfterSeconds(upstream.RetryAfter) is { } seconds && upstream.Failure is UpstreamFailure.Throttled or UpstreamFailure.Unavailable
                    ? $" Retry after {seconds} s."
                    : string.Empty;
                return Error(mapping.Status, mapping.Code, $"{mapping.Title}: {upstream.Message}{retry}");
            }
            catch (JsonException json)
            {
                // The SDK could not bind an argument to its parameter type (wrong JSON type).
                return Error(StatusCodes.Status400BadRequest, InvalidArguments,
                    $"An argument has the wrong JSON type{(json.Path is { Length: > 1 } path ? $" at '{path.TrimStart('$', '.')}'" : string.Empty)}; see the tool's input schema.");
            }
            catch (ArgumentException argument) when (argument.ParamName == "arguments")
            {
                // The SDK's own binding message names the missing parameter and nothing else.
                return Error(StatusCodes.Status400BadRequest, InvalidArguments, argument.Message.Replace(" (Parameter 'arguments')", string.Empty, StringComparison.Ordinal));
            }
        };

    /// <summary>The code of arguments that do not fit the tool's input schema.</summary>
    public const string InvalidArguments = "invalid_arguments";

    /// <summary>A tool error whose text starts with the code, e.g. <c>validation_failed (400): ...</c>.</summary>
    public static CallToolResult Error(int status, string code, string detail) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = $"{code} ({status}): {detail}" }],
    };
}
