package org.elasticsearch.node;

import java.util.Collection;
import java.util.Map;
import java.util.Set;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

/**
 * An Elasticsearch node whose plugins are classes on the class path, for sgcache's tests.
 *
 * Why this package: a distribution loads its modules (the HTTP transport among them) from
 * bundle directories; the only way to hand a node plugin classes instead is a
 * NodeServiceProvider that makes the plugins service, and NodeConstruction, which takes one,
 * is package-private. A split package is legal on the class path (the unnamed module).
 */
public final class EmbeddedElasticsearch extends Node {

    public EmbeddedElasticsearch(Environment env, Collection<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(
            env,
            // No bundles and no module layers: everything is on the class path.
            PluginsLoader.createPluginsLoader(Set.of(), Set.of(), Map.of(), false),
            new NodeServiceProvider() {
                @Override
                PluginsService newPluginService(Environment environment, PluginsLoader loader) {
                    return new ClasspathPluginsService(environment.settings(), environment.configDir(), loader, plugins);
                }
            },
            true));
    }
}
