using System.Text.Json;
using System.Text.Json.Serialization;
using Wrapper.Simulator.OpenAI;

namespace Wrapper.Simulator.Control;

/// <summary>
/// The <c>/_simulator</c> control routes: queue, list and clear faults; read and reset the counters.
/// Bad input is answered with RFC 9457 problem details.
/// </summary>
internal static class ControlEndpoints
{
    public const string Prefix = "/_simulator";

    public static IEndpointRouteBuilder MapSimulatorControl(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(Prefix);
        group.MapPost("/faults", AddFaultAsync);
        group.MapGet("/faults", (FaultInjector faults) =>
            Results.Json(faults.Pending, ControlJsonContext.Default.IReadOnlyListFaultSpec));
        group.MapDelete("/faults", (FaultInjector faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        group.MapGet("/state", GetState);
        group.MapDelete("/state", (RequestCounters counters, DeploymentRateLimiter limiter) =>
        {
            counters.Reset();
            limiter.Reset();
            return Results.NoContent();
        });
        return endpoints;
    }

    private static async Task<IResult> AddFaultAsync(HttpContext context, FaultInjector faults)
    {
        FaultSpec? spec;
        try
        {
            spec = await JsonSerializer.DeserializeAsync(
                context.Request.Body, ControlJsonContext.Default.FaultSpec, context.RequestAborted);
        }
        catch (JsonException exception)
        {
            return Results.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "The body is not a valid fault.",
                detail: $"Expected JSON like {{\"status\":503,\"count\":2}}: {exception.Message}");
        }

        if (spec is null)
        {
            return Results.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "The body is not a valid fault.",
                detail: "Expected a JSON object like {\"status\":503,\"count\":2}.");
        }

        var errors = spec.Validate();
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors.ToDictionary(e => e.Key, e => e.Value));
        }

        faults.Add(spec);
        return Results.Json(faults.Pending, ControlJsonContext.Default.IReadOnlyListFaultSpec, statusCode: StatusCodes.Status201Created);
    }

    private static IResult GetState(
        SimulatorOptions options,
        RequestCounters counters,
        FaultInjector faults,
        DeploymentRateLimiter limiter)
    {
        var usage = limiter.Snapshot();
        var deployments = options.Deployments.ToDictionary(
            name => name,
            name =>
            {
                var used = usage.GetValueOrDefault(name);
                return new DeploymentState(
                    options.TokensPerMinuteFor(name),
                    options.RequestsPerMinute,
                    used.TokensInWindow,
                    used.RequestsInWindow);
            },
            StringComparer.OrdinalIgnoreCase);
        var state = new SimulatorState(counters.Total, counters.Snapshot(), faults.Pending, deployments);
        return Results.Json(state, ControlJsonContext.Default.SimulatorState);
    }
}

/// <summary>Body of <c>GET /_simulator/state</c>.</summary>
internal sealed record SimulatorState(
    long TotalRequests,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> Requests,
    IReadOnlyList<FaultSpec> PendingFaults,
    IReadOnlyDictionary<string, DeploymentState> Deployments);

/// <summary>Limits and last-minute usage of one deployment.</summary>
internal sealed record DeploymentState(int TokensPerMinute, int RequestsPerMinute, int TokensInWindow, int RequestsInWindow);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FaultSpec))]
[JsonSerializable(typeof(IReadOnlyList<FaultSpec>))]
[JsonSerializable(typeof(SimulatorState))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
