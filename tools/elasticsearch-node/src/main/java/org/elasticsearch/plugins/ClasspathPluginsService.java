package org.elasticsearch.plugins;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.elasticsearch.common.settings.Settings;

/**
 * A plugins service whose plugins are given as classes already on the class path, each
 * loaded the way a bundle's main class is (same constructor rules, same extension wiring).
 *
 * In this package because LoadedPlugin, loadPlugin and loadExtensions are package-private.
 */
public class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> classpathPlugins;

    public ClasspathPluginsService(
        Settings settings,
        Path configDir,
        PluginsLoader emptyLoader,
        Collection<Class<? extends Plugin>> classes
    ) {
        super(settings, configDir, emptyLoader);
        List<LoadedPlugin> loaded = new ArrayList<>();
        for (Class<? extends Plugin> c : classes) {
            PluginDescriptor descriptor = ClasspathDescriptors.of(c);
            loaded.add(new LoadedPlugin(descriptor, loadPlugin(c, settings, configDir), c.getClassLoader()));
        }
        loadExtensions(loaded);
        this.classpathPlugins = List.copyOf(loaded);
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return classpathPlugins;
    }
}
