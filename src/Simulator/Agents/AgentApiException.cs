using Microsoft.AspNetCore.Http;

namespace Wrapper.Simulator.Agents;

/// <summary>
/// A request the simulated Agent Service refuses. The agent route filter turns it into the service's error body
/// <c>{"error":{"code","message","type","param"}}</c> with <see cref="StatusCode"/>.
/// </summary>
public sealed class AgentApiException(int statusCode, string code, string message, string? param = null)
    : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string Code { get; } = code;

    public string? Param { get; } = param;

    public static AgentApiException BadRequest(string message, string? param = null) =>
        new(StatusCodes.Status400BadRequest, "invalid_request_error", message, param);

    public static AgentApiException NotFound(string message) =>
        new(StatusCodes.Status404NotFound, "not_found", message);

    /// <summary>The error response for this refusal.</summary>
    public IResult ToResult() => AgentErrors.Result(StatusCode, Code, Message, Param);
}

/// <summary>Azure-shaped error responses of the simulated Agent Service.</summary>
public static class AgentErrors
{
    public static IResult Result(int statusCode, string code, string message, string? param = null)
    {
        var type = statusCode switch
        {
            StatusCodes.Status401Unauthorized => "authentication_error",
            StatusCodes.Status404NotFound => "invalid_request_error",
            StatusCodes.Status429TooManyRequests => "rate_limit_error",
            >= 500 => "server_error",
            _ => "invalid_request_error",
        };
        return Results.Json(
            new AgentErrorEnvelope(new AgentErrorBody(code, message, type, param)),
            AgentJson.Options,
            statusCode: statusCode);
    }
}
